"""Flask extensions, created unbound and initialised in ``create_app``. (Flask-Migrate is made
there too, and only when the app is not built for ``engage serve``: see ``engage.serving``.)"""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from htmx_flask import Htmx

from engage.core.csrf import CSRFProtect
from engage.core.db import Base

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
babel = Babel()
# Flask-WTF's, reading the masked tokens pages show (engage.core.csrf).
csrf = CSRFProtect()
htmx = Htmx()
# No default limits: only sign-in and similar endpoints are limited, each by its own rule.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
