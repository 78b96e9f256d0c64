"""Superset's set-up before each start, run by the Superset env's Python (not the core env's):
``python stack/superset_setup.py`` with a JSON request on stdin, the admin's password in
``BEACON_SUPERSET_ADMIN_PASSWORD`` and the configuration in ``SUPERSET_CONFIG_PATH``.

In one process (each ``superset`` command would pay the app's start again): migrate the
metadata database and sync the roles (``superset db upgrade`` and ``superset init``) when the
request asks, create the admin or reset a changed password (``superset fab create-admin``),
then register the bundle's database and import the rest of the bundle zip with Superset's
asset import, which overwrites every dataset, chart and dashboard of the bundle by UUID: a
re-import changes nothing, a change in git shows up. The database is written here, not by the
import: Superset's import of a database lists its catalogs and schemas, which needs Trino up.
It prints one progress line per step; a failure ends it with one line on stderr
and exit status 1.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
import zipfile
from typing import Any

DATABASE_FIELDS = (
    "database_name",
    "cache_timeout",
    "expose_in_sqllab",
    "allow_run_async",
    "allow_ctas",
    "allow_cvas",
    "allow_dml",
    "allow_file_upload",
)


def say(line: str) -> None:
    print(line, flush=True)


def register_database(config: dict[str, Any]) -> None:
    """Create or update the database of the bundle's ``databases/`` file, by its UUID."""
    from superset.extensions import db
    from superset.models.core import Database

    key = uuid.UUID(config["uuid"])
    database = db.session.query(Database).filter_by(uuid=key).one_or_none()
    if database is None:
        database = Database(uuid=key, database_name=config["database_name"])
        db.session.add(database)
    for name in DATABASE_FIELDS:
        setattr(database, name, config[name])
    database.extra = json.dumps(config.get("extra", {}))
    database.set_sqlalchemy_uri(config["sqlalchemy_uri"])
    db.session.commit()


def main() -> int:
    request: dict[str, Any] = json.load(sys.stdin)
    password = os.environ["BEACON_SUPERSET_ADMIN_PASSWORD"]
    import logging

    logging.disable(logging.WARNING)  # Superset's start-up warnings; failures still raise
    import yaml
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from flask_migrate import upgrade
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.commands.importers.v1.utils import get_contents_from_bundle
        from superset.extensions import appbuilder, db, security_manager
        from superset.utils.core import override_user

        if request["migrate"]:
            say("migrating the metadata database")
            upgrade()
            say("syncing roles and permissions")
            appbuilder.add_permissions(update_perms=True)
            security_manager.sync_role_definitions()
            db.session.commit()
        user = security_manager.find_user(username=request["admin_user"])
        if user is None:
            say(f"creating the admin {request['admin_user']}")
            user = security_manager.add_user(
                request["admin_user"],
                "beacon",
                "admin",
                request["admin_email"],
                security_manager.find_role("Admin"),
                password=password,
            )
            if not user:
                raise RuntimeError(f"could not create the admin {request['admin_user']}")
        elif security_manager.auth_user_db(request["admin_user"], password) is None:
            say(f"setting the admin {request['admin_user']}'s password from the settings")
            security_manager.reset_password(user.id, password)
        db.session.commit()
        with zipfile.ZipFile(request["bundle"]) as bundle:
            contents = get_contents_from_bundle(bundle)
        databases = [path for path in contents if path.startswith("databases/")]
        for path in databases:
            config = yaml.safe_load(contents.pop(path))
            say(f"registering the database {config['database_name']}")
            register_database(config)
        say(f"importing {len(contents) - 1} assets from {os.path.basename(request['bundle'])}")
        with override_user(user):
            ImportAssetsCommand(contents, sparse=True).run()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # noqa: BLE001 - one line for the caller, not a traceback
        cause = error.__cause__ or error
        detail = getattr(cause, "normalized_messages", lambda: None)() or str(cause)
        print(f"{type(error).__name__}: {detail}"[:2000], file=sys.stderr, flush=True)
        sys.exit(1)
