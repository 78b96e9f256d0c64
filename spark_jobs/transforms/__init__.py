"""Pure DataFrame -> DataFrame transforms of the batch layer, one concern a module."""
