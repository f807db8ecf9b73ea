"""Test settings: the normal ones with fast hashing, in-memory e-mail and a temporary data dir."""

import os
import tempfile

os.environ.setdefault("PEYVAND_DATA_DIR", tempfile.mkdtemp(prefix="peyvand-test-"))
os.environ.setdefault("PEYVAND_SECRET_KEY", "test-secret-key-" + "x" * 60)

from peyvand.config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
WHITENOISE_AUTOREFRESH = True
