#pragma once
int bitsweep_image_codecs_placeholder(void);
