"""Log pattern mining: raw lines from any system in, templates with counts out.

`header` splits a raw line into its header (timestamp, level, process, component) and message by
conventions shared by most log formats, never by recognising a particular system; `masking` turns
variable tokens into `<*>`; `drain` groups masked messages online (the Drain algorithm); `events`
folds multi-line stack traces into one event; `patterns` ranks what came out for people and the AI.
"""
