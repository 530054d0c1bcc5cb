"""Work too large for one invocation, on Step Functions: an archive import, a sharded reindex of the related
lists, a sharded publish of the site. The state machines are in statemachines/*.asl.json; their tasks are
``newsdrop.archive.tasks``, run by functions/archive/app.py. docs/archive.md."""
