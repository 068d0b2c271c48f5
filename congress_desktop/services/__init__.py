"""Use cases, one module per noun. Each function opens its own unit of work, returns plain frozen
dataclasses (never ORM objects) and raises CongressError with a Chinese message."""
