"""Page parts too large to live in a page script: one module per page's set of tabs."""
