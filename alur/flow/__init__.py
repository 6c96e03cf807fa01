"""The call-flow language: node models (one module per type in `nodes/`), CEL expressions, the
validator, the diagram renderer and the interpreter that runs a call against the Channel protocol.

    from alur.config import load_project
    from alur.flow import FlowRunner

    runner = FlowRunner(load_project("examples/support"), clock=clock, log=events.append)
    result = await runner.run_call(channel)
"""

from alur.flow.interpreter import CallResult, FlowRunner, NoFlowForNumber

__all__ = ["CallResult", "FlowRunner", "NoFlowForNumber"]
