"""Exit codes shared by every subcommand (documented in the README and in `perfscore --help`)."""

OK = 0
FAILED = 1          # the input could not be read or measured; one line on stderr says why
USAGE = 2           # bad command line or configuration
PARTIAL = 3         # batch work: some entries failed, the rest were scored
INTERRUPTED = 130   # Ctrl-C; finished work is kept

EPILOG = """exit codes:
  0    success
  1    the input could not be read or measured (one line on stderr names it and says why)
  2    usage or configuration error
  3    batch work finished, but some entries failed (their reasons are in the results)
  130  interrupted (Ctrl-C); results already written are kept
"""
