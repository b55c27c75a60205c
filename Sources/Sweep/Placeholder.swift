// Sweep module.
