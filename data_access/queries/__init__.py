"""Query builders (Core selects) and ``fetch_*`` functions, one module per area."""
