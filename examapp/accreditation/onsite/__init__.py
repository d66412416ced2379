"""三查 (on-site check): the re-employment target, the reported list, and a recorded random sample."""
