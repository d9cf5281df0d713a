"""engage: co-production with people who have lived experience of multiple disadvantage."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.routing import IntegerConverter

from engage import config as config_module
from engage.core.numbers import MAX_ID

ROOT = Path(__file__).resolve().parent.parent

#: Whether ``create_app`` registers the migrations (Flask-Migrate and the ``engage db``
#: commands); off only while :func:`serving` builds the app.
_with_migrations = True


@contextmanager
def serving() -> Iterator[None]:
    """Build the app for serving requests only (``engage serve``): without the migrations,
    whose Alembic (about 11 MiB) would otherwise sit in the memory of the master process and of
    every worker forked from it, though no request ever uses it."""
    global _with_migrations
    _with_migrations = False
    try:
        yield
    finally:
        _with_migrations = True


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application. ``config`` overrides the defaults and ``ENGAGE_*`` variables."""
    settings = config_module.load(config)
    from engage.core.conflicts import Engage

    app = Engage(
        __name__,
        instance_path=str(Path(settings.get("INSTANCE_PATH") or ROOT / "instance").resolve()),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(settings)
    from engage.core import assets, compression

    # First, so that it runs after every other hook (Flask runs them last registered first).
    compression.init_app(app)
    proxies = int(settings["PROXY_COUNT"])
    if proxies > 0:
        # Behind a proxy every request comes from the proxy's address: without this, one
        # person's failed sign-ins or applications would use up everyone's allowance.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    _check_two_step_roles(settings["TWO_STEP_ROLES"])
    if settings["ENV"] == "production" and settings["SECRET_KEY"] == config_module.DEV_SECRET_KEY:
        # However it is served, production never signs cookies with the published key.
        raise RuntimeError("Set ENGAGE_SECRET_KEY: production refuses the development key.")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from engage.core import encryption

    encryption.init_app(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            app.config["DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'engage.db'}"
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql://"):
        # Use psycopg 3 for plain postgresql:// addresses.
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"].replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    # An id bigger than the database can hold is simply not found, never a server error.
    app.url_map.converters["int"] = _DatabaseId
    _init_templates(app)
    _init_extensions(app)
    _register_domains(app)

    from engage.core import errors, security

    errors.init_app(app)
    security.init_app(app)
    _init_request_hooks(app)
    assets.init_app(app)
    return app


def _check_two_step_roles(roles: frozenset[str]) -> None:
    from engage.people.models import Role

    unknown = sorted(roles - {role.value for role in Role})
    if unknown:
        raise RuntimeError(f"ENGAGE_TWO_STEP_ROLES names roles that do not exist: {unknown}")


class _DatabaseId(IntegerConverter):
    """``<int:...>`` in a URL, up to the largest id the database holds (as ``?for=`` ids)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002, ANN001
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _init_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.add_extension("jinja2.ext.i18n")

    from engage.core import charts, suppression
    from engage.core.i18n import format_month
    from engage.core.money import format_money

    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["month"] = format_month
    # Charts and small-number suppression are shared by results pages (surveys, dashboard).
    app.jinja_env.globals["bar_chart"] = charts.bar_chart
    app.jinja_env.globals["line_chart"] = charts.line_chart
    app.jinja_env.globals["suppressed_because"] = suppression.reason_text


def _init_extensions(app: Flask) -> None:
    from govuk_frontend_wtf.main import WTFormsHelpers

    from engage.core.i18n import compile_catalogues, select_locale
    from engage.extensions import babel, csrf, db, htmx, limiter, login_manager

    db.init_app(app)
    if _with_migrations:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "people.login"
    login_manager.login_message = _l("Sign in to see this page.")
    login_manager.login_message_category = "info"
    translations = ROOT / "translations"
    try:
        compile_catalogues(translations)
    except OSError:  # read-only install: the build step compiled them already
        app.logger.warning("could not compile translations in %s", translations)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(translations),
    )
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    WTFormsHelpers(app)

    # Core's own tables; each domain's package imports its models (``_register_domains``).
    from engage.core import audit, generation, outbox, settings  # noqa: F401


#: The domains, in the order their blueprints are registered. Importing a domain's package
#: registers its models, its template helpers, its scheduled jobs and its demo data; see the
#: README's "Adding a domain".
DOMAINS = (
    "home",
    "people",
    "changes",
    "forums",
    "opportunities",
    "payments",
    "surveys",
    "mentoring",
    "fund",
    "dashboard",
    "admin",
)


def _register_domains(app: Flask) -> None:
    import importlib

    for name in DOMAINS:
        app.register_blueprint(importlib.import_module(f"engage.{name}").bp)


def _init_request_hooks(app: Flask) -> None:
    from engage.core import i18n, outbox
    from engage.people.forms import LanguageForm

    @app.after_request
    def _send_outbox(response):
        # Never raises: the request's change has committed, so the person gets their page.
        outbox.flush_committed()
        return response

    @app.context_processor
    def _globals():
        locale = str(get_locale() or "en").split("_")[0]  # the language: "en", not "en_GB"
        form = LanguageForm(formdata=None)
        form.locale.choices = list(i18n.LANGUAGES.items())
        form.locale.data = locale
        form.next.data = request.full_path.rstrip("?") if request else "/"
        return {
            "current_locale": locale,
            "text_direction": i18n.text_direction(locale),
            "languages": i18n.LANGUAGES,
            "language_form": form,
            "partnership_name": app.config["PARTNERSHIP_NAME"],
        }
