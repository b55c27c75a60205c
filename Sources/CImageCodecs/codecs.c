int bitsweep_image_codecs_placeholder(void) { return 0; }
