// Results module.
