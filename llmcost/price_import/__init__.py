"""Importing API prices from public price data into llmcost profiles (`llmcost profiles import-prices`).

- `importer`: reads a source file or the installed package, maps it, writes and checks the profile text.
- `genai_prices`, `litellm`: one reader per source, each with the `SHAPE` its data is checked against.
- `entries`: the mapping both share (prices, context tiers, batch discount, `serves_model` aliases).
- `shape`: the small checker of JSON shapes that reports the first bad value with its path.

Only `import-prices` imports this package; the commands that price API tokens use `llmcost.prices`.
"""
