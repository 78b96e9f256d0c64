"""Superset's dashboards as code: defined in Python here (:mod:`.dashboards` and
:mod:`.datasets`), written as an import bundle of YAML files into ``superset/`` (kept in git,
regenerated with ``python -m stack.superset_bundle``; a unit test checks the committed files
equal the generated ones), zipped and imported by `beacon up superset`."""
