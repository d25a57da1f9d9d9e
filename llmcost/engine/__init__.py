"""The cost engine: pure functions over broadcastable NumPy arrays, one module per concept."""
