// CairoRender module.
