"""The `synthfoundry` commands, one module each. Each module has `register(commands)`, which
adds its subcommand to the parser with its handler (`args -> exit status`); the handlers reach
SynthFoundry's internals only through `orchestration.api`."""

from orchestration.commands import export, plan, publish, report, run, sql, trace, versions

# In the order `synthfoundry --help` lists them.
COMMANDS = (run, plan, versions, trace, sql, export, report, publish)
