// PNG decoding with libpng's simplified API, and a small encoder (full API) for tests and benchmarks.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <png.h>
#include "CImageCodecs.h"

int bs_decode_png(const unsigned char *data, size_t size, size_t max_pixels, bs_image *out, char *message) {
    if (max_pixels == 0 || max_pixels > BS_CODEC_MAX_PIXELS) max_pixels = BS_CODEC_MAX_PIXELS;
    png_image image;
    memset(&image, 0, sizeof image);
    memset(out, 0, sizeof *out);
    message[0] = 0;
    image.version = PNG_IMAGE_VERSION;
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(message, BS_CODEC_MESSAGE_SIZE, size < 8 ? "the data is too short to be a PNG" : "not a PNG signature");
        return size < 8 ? BS_CODEC_TRUNCATED : BS_CODEC_CORRUPT;
    }
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        snprintf(message, BS_CODEC_MESSAGE_SIZE, "%s", image.message);
        png_image_free(&image);
        return strstr(message, "EOF") || strstr(message, "end") ? BS_CODEC_TRUNCATED : BS_CODEC_CORRUPT;
    }
    size_t w = image.width, h = image.height;
    if (w == 0 || h == 0 || w * h > max_pixels) {
        snprintf(message, BS_CODEC_MESSAGE_SIZE, "image of %zu×%zu pixels is too large (limit %zu pixels)", w, h,
                 max_pixels);
        png_image_free(&image);
        return BS_CODEC_TOO_LARGE;
    }
    image.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
    image.format = PNG_FORMAT_RGBA;
    unsigned char *rgba = malloc(w * h * 4);
    if (!rgba) {
        snprintf(message, BS_CODEC_MESSAGE_SIZE, "out of memory for a %zu×%zu image", w, h);
        png_image_free(&image);
        return BS_CODEC_NO_MEMORY;
    }
    if (!png_image_finish_read(&image, NULL, rgba, (png_int_32)(w * 4), NULL)) {
        snprintf(message, BS_CODEC_MESSAGE_SIZE, "%s", image.message);
        png_image_free(&image);
        free(rgba);
        return strstr(message, "EOF") || strstr(message, "end") ? BS_CODEC_TRUNCATED : BS_CODEC_CORRUPT;
    }
    // Drop alpha in place: RGBA → RGB.
    for (size_t i = 0; i < w * h; i++) {
        rgba[3 * i] = rgba[4 * i];
        rgba[3 * i + 1] = rgba[4 * i + 1];
        rgba[3 * i + 2] = rgba[4 * i + 2];
    }
    unsigned char *rgb = realloc(rgba, w * h * 3);
    out->width = (int)w;
    out->height = (int)h;
    out->rgb = rgb ? rgb : rgba;
    return BS_CODEC_OK;
}

typedef struct {
    unsigned char *data;
    size_t size;
    size_t capacity;
    int failed;
} bs_png_sink;

static void bs_png_write(png_structp png, png_bytep bytes, png_size_t length) {
    bs_png_sink *sink = png_get_io_ptr(png);
    if (sink->failed) return;
    if (sink->size + length > sink->capacity) {
        size_t cap = sink->capacity ? sink->capacity : 1024;
        while (cap < sink->size + length) cap *= 2;
        unsigned char *grown = realloc(sink->data, cap);
        if (!grown) { sink->failed = 1; return; }
        sink->data = grown;
        sink->capacity = cap;
    }
    memcpy(sink->data + sink->size, bytes, length);
    sink->size += length;
}

static void bs_png_flush(png_structp png) { (void)png; }

static void bs_png_error(png_structp png, png_const_charp text) {
    char *message = png_get_error_ptr(png);
    snprintf(message, BS_CODEC_MESSAGE_SIZE, "%s", text);
    png_longjmp(png, 1);
}

static void bs_png_warning(png_structp png, png_const_charp text) { (void)png; (void)text; }

int bs_encode_png(int width, int height, int color_type, int bit_depth, const unsigned char *samples,
                  const unsigned char *palette, int palette_size, unsigned char **out, size_t *out_size,
                  char *message) {
    message[0] = 0;
    *out = NULL;
    *out_size = 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, message, bs_png_error, bs_png_warning);
    if (!png) { snprintf(message, BS_CODEC_MESSAGE_SIZE, "png_create_write_struct failed"); return BS_CODEC_NO_MEMORY; }
    png_infop info = png_create_info_struct(png);
    bs_png_sink sink = { NULL, 0, 0, 0 };
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(sink.data);
        free(rows);
        if (!message[0]) snprintf(message, BS_CODEC_MESSAGE_SIZE, "libpng could not encode the image");
        return BS_CODEC_CORRUPT;
    }
    png_set_write_fn(png, &sink, bs_png_write, bs_png_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, bit_depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color entries[256];
        for (int i = 0; i < palette_size && i < 256; i++) {
            entries[i].red = palette[3 * i];
            entries[i].green = palette[3 * i + 1];
            entries[i].blue = palette[3 * i + 2];
        }
        png_set_PLTE(png, info, entries, palette_size);
    }
    int channels = color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_PALETTE ? 1
                 : color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                 : color_type == PNG_COLOR_TYPE_RGB ? 3 : 4;
    size_t row_bytes = ((size_t)width * channels * bit_depth + 7) / 8;
    rows = malloc(sizeof(png_bytep) * (size_t)height);
    if (!rows) png_error(png, "out of memory");
    for (int y = 0; y < height; y++) rows[y] = (png_bytep)(samples + (size_t)y * row_bytes);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(rows);
    if (sink.failed) { free(sink.data); snprintf(message, BS_CODEC_MESSAGE_SIZE, "out of memory"); return BS_CODEC_NO_MEMORY; }
    *out = sink.data;
    *out_size = sink.size;
    return BS_CODEC_OK;
}
