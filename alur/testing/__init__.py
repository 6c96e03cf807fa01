"""Scripted callers and the flow-test runner: used by `alur test-flow` and the simulator, not telephony."""
