"""The local Monstrum platform: REST API, governance, runner, executors, store, audit."""
