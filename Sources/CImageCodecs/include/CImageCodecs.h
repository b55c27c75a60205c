// Small C wrappers around libjpeg-turbo and libpng for BitSweep's Engine.
//
// Every function returns 0 on success or a nonzero BS_CODEC_* code, and writes a one-line reason into the
// caller's `message` buffer. No function ever calls exit(): libjpeg's default error manager is replaced by one
// that longjmps back here, and libpng's simplified `png_image` API reports errors through its return value.
#pragma once
#include <stddef.h>
#include <stdint.h>

enum {
    BS_CODEC_OK = 0,
    BS_CODEC_CORRUPT = 1,      // the library rejected the data (bad header, bad Huffman table, CRC error…)
    BS_CODEC_TRUNCATED = 2,    // the data ended before the image did
    BS_CODEC_UNSUPPORTED = 3,  // valid data in a form we do not convert (e.g. a JPEG colour space)
    BS_CODEC_NO_MEMORY = 4,
    BS_CODEC_TOO_LARGE = 5,    // width × height beyond the limit below
};

/// Images larger than `max_pixels` pixels (an argument of the decoders) are refused from their header,
/// before any pixel buffer is allocated; this is the ceiling of that argument.
#define BS_CODEC_MAX_PIXELS ((size_t)1 << 28)
#define BS_CODEC_MESSAGE_SIZE 256

/// An 8-bit RGB image, rows top to bottom, `width * 3` bytes per row, no padding. Free with bs_image_free.
typedef struct {
    int width;
    int height;
    unsigned char *rgb;
} bs_image;

void bs_image_free(bs_image *image);

/// Decodes a JPEG (baseline or progressive; greyscale, YCbCr, RGB, CMYK/YCCK) into 8-bit RGB.
/// Greyscale is replicated into three channels; CMYK is converted as R = 255 − min(255, C + K) on
/// un-inverted values (Adobe-inverted files are un-inverted first). A premature end of data is an error.
int bs_decode_jpeg(const unsigned char *data, size_t size, size_t max_pixels, bs_image *out, char *message);

/// Decodes a PNG of any colour type and bit depth (grey, grey+alpha, RGB, RGBA, palette, 1–16 bits) into
/// 8-bit RGB with libpng's simplified API: 16-bit samples without gamma information are taken as sRGB
/// (PNG_IMAGE_FLAG_16BIT_sRGB) and reduced to 8 bits; alpha is dropped (the colour channels are kept
/// un-premultiplied, as PIL's `convert("RGB")` does).
int bs_decode_png(const unsigned char *data, size_t size, size_t max_pixels, bs_image *out, char *message);

/// Test and benchmark helper: encodes raw samples as a PNG in memory with libpng's full write API.
/// `color_type` is a libpng PNG_COLOR_TYPE_* value; `samples` holds `height` rows of packed samples exactly as
/// the PNG stores them (16-bit samples big-endian, sub-byte samples packed MSB first); `palette` (RGB triples)
/// and `palette_size` are used for palette images. On success `*png` is malloc'd (free with bs_buffer_free).
int bs_encode_png(int width, int height, int color_type, int bit_depth, const unsigned char *samples,
                  const unsigned char *palette, int palette_size, unsigned char **png, size_t *png_size,
                  char *message);

/// Test and benchmark helper: encodes 8-bit samples (1 = grey, 3 = RGB, 4 = CMYK) as a JPEG in memory.
int bs_encode_jpeg(int width, int height, int components, const unsigned char *samples, int quality,
                   int progressive, unsigned char **jpeg, size_t *jpeg_size, char *message);

void bs_buffer_free(unsigned char *buffer);
