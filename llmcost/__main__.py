from llmcost.cli.app import run

run()
