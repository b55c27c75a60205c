// JPEG decoding and encoding with libjpeg-turbo, behind an error manager that longjmps instead of exiting.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>
#include "CImageCodecs.h"

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    int truncated;   // set when libjpeg warns that the data ended early
    char *message;
} bs_jpeg_error;

static void bs_jpeg_error_exit(j_common_ptr cinfo) {
    bs_jpeg_error *err = (bs_jpeg_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(err->message, BS_CODEC_MESSAGE_SIZE, "%s", text);
    longjmp(err->escape, 1);
}

// libjpeg reports a premature end of data as a warning and pads the image with grey; we refuse such images.
static void bs_jpeg_emit_message(j_common_ptr cinfo, int level) {
    bs_jpeg_error *err = (bs_jpeg_error *)cinfo->err;
    if (level < 0) {
        if (cinfo->err->msg_code == JWRN_JPEG_EOF && !err->truncated) {
            err->truncated = 1;
            snprintf(err->message, BS_CODEC_MESSAGE_SIZE, "the JPEG data ends before the image does");
        }
        cinfo->err->num_warnings++;
    }
}

static void bs_jpeg_silent(j_common_ptr cinfo) { (void)cinfo; }

void bs_image_free(bs_image *image) {
    if (image && image->rgb) { free(image->rgb); image->rgb = NULL; }
}

void bs_buffer_free(unsigned char *buffer) { free(buffer); }

int bs_decode_jpeg(const unsigned char *data, size_t size, size_t max_pixels, bs_image *out, char *message) {
    if (max_pixels == 0 || max_pixels > BS_CODEC_MAX_PIXELS) max_pixels = BS_CODEC_MAX_PIXELS;
    struct jpeg_decompress_struct cinfo;
    bs_jpeg_error err;
    // Volatile: these are changed between setjmp and a possible longjmp.
    unsigned char *volatile pixels = NULL;
    unsigned char *volatile row = NULL;
    volatile int code = BS_CODEC_CORRUPT;
    memset(out, 0, sizeof *out);
    message[0] = 0;
    if (size == 0) {
        snprintf(message, BS_CODEC_MESSAGE_SIZE, "the file is empty");
        return BS_CODEC_TRUNCATED;
    }
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = bs_jpeg_error_exit;
    err.base.emit_message = bs_jpeg_emit_message;
    err.base.output_message = bs_jpeg_silent;
    err.truncated = 0;
    err.message = message;
    if (setjmp(err.escape)) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(row);
        return err.truncated ? BS_CODEC_TRUNCATED : code;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (err.truncated) { longjmp(err.escape, 1); }
    int cmyk = 0;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: case JCS_YCbCr: case JCS_RGB:
        cinfo.out_color_space = JCS_RGB; break;
    case JCS_CMYK: case JCS_YCCK:
        cinfo.out_color_space = JCS_CMYK; cmyk = 1; break;
    default:
        snprintf(message, BS_CODEC_MESSAGE_SIZE, "unsupported JPEG colour space %d", (int)cinfo.jpeg_color_space);
        code = BS_CODEC_UNSUPPORTED;
        longjmp(err.escape, 1);
    }
    // From the header, before jpeg_start_decompress allocates anything for the image (a progressive JPEG's
    // coefficient buffers cover the whole image).
    if ((size_t)cinfo.image_width * cinfo.image_height > max_pixels) {
        snprintf(message, BS_CODEC_MESSAGE_SIZE, "image of %u×%u pixels is too large (limit %zu pixels)",
                 (unsigned)cinfo.image_width, (unsigned)cinfo.image_height, max_pixels);
        code = BS_CODEC_TOO_LARGE;
        longjmp(err.escape, 1);
    }
    jpeg_start_decompress(&cinfo);
    size_t w = cinfo.output_width, h = cinfo.output_height;
    if (w == 0 || h == 0 || w * h > max_pixels) {
        snprintf(message, BS_CODEC_MESSAGE_SIZE, "image of %zu×%zu pixels is too large (limit %zu pixels)", w, h,
                 max_pixels);
        code = BS_CODEC_TOO_LARGE;
        longjmp(err.escape, 1);
    }
    int comps = cinfo.output_components;
    pixels = malloc(w * h * 3);
    row = malloc(w * (size_t)comps);
    if (!pixels || !row) {
        snprintf(message, BS_CODEC_MESSAGE_SIZE, "out of memory for a %zu×%zu image", w, h);
        code = BS_CODEC_NO_MEMORY;
        longjmp(err.escape, 1);
    }
    // Adobe's APP14 marker means the CMYK samples are stored inverted.
    int inverted = cmyk && cinfo.saw_Adobe_marker;
    while (cinfo.output_scanline < cinfo.output_height) {
        size_t y = cinfo.output_scanline;
        JSAMPROW rows[1] = { (JSAMPROW)row };
        jpeg_read_scanlines(&cinfo, rows, 1);
        if (err.truncated) { longjmp(err.escape, 1); }
        unsigned char *dst = pixels + y * w * 3;
        if (!cmyk) {
            memcpy(dst, row, w * 3);
        } else {
            for (size_t x = 0; x < w; x++) {
                int c = row[4 * x], m = row[4 * x + 1], yy = row[4 * x + 2], k = row[4 * x + 3];
                if (inverted) { c = 255 - c; m = 255 - m; yy = 255 - yy; k = 255 - k; }
                int r = 255 - (c + k), g = 255 - (m + k), b = 255 - (yy + k);
                dst[3 * x] = (unsigned char)(r < 0 ? 0 : r);
                dst[3 * x + 1] = (unsigned char)(g < 0 ? 0 : g);
                dst[3 * x + 2] = (unsigned char)(b < 0 ? 0 : b);
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    if (err.truncated) { longjmp(err.escape, 1); }
    jpeg_destroy_decompress(&cinfo);
    free(row);
    out->width = (int)w;
    out->height = (int)h;
    out->rgb = pixels;
    return BS_CODEC_OK;
}

int bs_encode_jpeg(int width, int height, int components, const unsigned char *samples, int quality,
                   int progressive, unsigned char **jpeg, size_t *jpeg_size, char *message) {
    struct jpeg_compress_struct cinfo;
    bs_jpeg_error err;
    unsigned char *volatile buffer = NULL;
    unsigned long volatile buffer_size = 0;
    message[0] = 0;
    *jpeg = NULL;
    *jpeg_size = 0;
    if (components != 1 && components != 3 && components != 4) {
        snprintf(message, BS_CODEC_MESSAGE_SIZE, "components must be 1, 3 or 4, got %d", components);
        return BS_CODEC_UNSUPPORTED;
    }
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = bs_jpeg_error_exit;
    err.base.output_message = bs_jpeg_silent;
    err.truncated = 0;
    err.message = message;
    if (setjmp(err.escape)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return BS_CODEC_CORRUPT;
    }
    jpeg_create_compress(&cinfo);
    unsigned char *dest = NULL;
    unsigned long dest_size = 0;
    jpeg_mem_dest(&cinfo, &dest, &dest_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (progressive) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW rows[1] = { (JSAMPROW)(samples + (size_t)cinfo.next_scanline * width * components) };
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    buffer = dest;
    buffer_size = dest_size;
    jpeg_destroy_compress(&cinfo);
    *jpeg = buffer;
    *jpeg_size = buffer_size;
    return BS_CODEC_OK;
}
