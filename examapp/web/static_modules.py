"""Folders of ES modules under /static/, served at a versioned path so that their imports are too.

Static URLs carry ``?v=<hash>`` and browsers keep them a year, but a module's relative
import (``import ... from "./queue.js"``) carries no ``?v=``: after an upgrade a browser
could run the new entry module with a stale one it kept. So a module folder is served at
``/static/<folder>/<digest>/<name>.js``, where the digest covers every file in the folder.
One changed module gives the whole folder a new URL, and ``./queue.js`` resolves inside the
same versioned folder.

The versioned path is one more URL rule of the ``static`` endpoint: it serves from the
static folder with the same year-long max-age, is public like every static file, and stays
cacheable for a logged-in user (see ``access.endpoint_permission`` and the app's
``security_headers``). Matching drops the digest segment and serves the file on disk, so a
page loaded just before an upgrade still gets modules that load.

The modules are served from memory (a dozen small files on every exam page's load): a
connection the browser drops mid-file (a reload while the modules load) then leaves no
file open behind it, which Werkzeug's development server would otherwise leak.
"""

import hashlib
import os

from flask import abort, current_app, request, url_for
from werkzeug.routing import BaseConverter, ValidationError
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

#: folders (under the static folder) whose files are ES modules that import each other
MODULE_FOLDERS = ("js/attempt",)

DIGEST_LENGTH = 12


class VersionedModuleConverter(BaseConverter):
    """``<digest>/<name>.js`` in a URL -> ``<folder>/<name>.js`` under the static folder.

    Used for matching only: ``module_url`` builds the URL through the plain static rule.
    """

    part_isolating = False
    regex = rf"[0-9a-f]{{{DIGEST_LENGTH}}}/[A-Za-z0-9_-]+\.js"

    def __init__(self, url_map, folder):
        super().__init__(url_map)
        self.folder = folder

    def to_python(self, value):
        return f"{self.folder}/{value.split('/', 1)[1]}"

    def to_url(self, value):
        raise ValidationError()  # never build with this rule: the plain static rule does


class FolderDigests:
    """The digest of a folder's files, recomputed when a file is added, removed or changed."""

    def __init__(self):
        self._cache = {}  # folder -> (listing of (name, mtime, size), digest)

    def digest(self, folder):
        entries = sorted(
            (entry.name, entry.stat().st_mtime_ns, entry.stat().st_size)
            for entry in os.scandir(folder)
            if entry.is_file()
        )
        cached = self._cache.get(folder)
        if cached is None or cached[0] != entries:
            sha = hashlib.sha256()
            for name, _mtime, _size in entries:
                with open(os.path.join(folder, name), "rb") as fh:
                    content = fh.read()
                sha.update(f"{name}\0{len(content)}\0".encode())
                sha.update(content)
            cached = (entries, sha.hexdigest()[:DIGEST_LENGTH])
            self._cache[folder] = cached
        return cached[1]


class ModuleFiles:
    """The bytes of the module files, read again when a file changes."""

    def __init__(self):
        self._cache = {}  # path -> ((mtime, size), bytes, etag)

    def response(self, static_folder, folder, name):
        path = safe_join(static_folder, folder, name)
        if path is None or not os.path.isfile(path):
            abort(404)
        stat = os.stat(path)
        cached = self._cache.get(path)
        if cached is None or cached[0] != (stat.st_mtime_ns, stat.st_size):
            with open(path, "rb") as fh:
                content = fh.read()
            cached = ((stat.st_mtime_ns, stat.st_size), content, hashlib.sha256(content).hexdigest()[:16])
            self._cache[path] = cached
        response = Response(cached[1], mimetype="text/javascript")
        response.cache_control.public = True
        response.cache_control.max_age = current_app.get_send_file_max_age(name)
        response.last_modified = int(stat.st_mtime)
        response.set_etag(cached[2])
        return response.make_conditional(request, accept_ranges=True, complete_length=len(cached[1]))


def module_url(folder, name):
    """The versioned URL of module ``name`` in ``folder``: ``/static/<folder>/<digest>/<name>``."""
    digests = current_app.extensions["static_module_digests"]
    digest = digests.digest(os.path.join(current_app.static_folder, folder))
    # the plain static rule builds the path; no ?v= is added, as no file has that name
    return url_for("static", filename=f"{folder}/{digest}/{name}")


def init_app(app):
    app.extensions["static_module_digests"] = FolderDigests()
    app.url_map.converters["versioned_module"] = VersionedModuleConverter
    for folder in MODULE_FOLDERS:
        app.add_url_rule(
            f"{app.static_url_path}/{folder}/<versioned_module({folder!r}):filename>",
            endpoint="static",
        )
    app.add_template_global(module_url)

    # the static endpoint's own view, with the module folders answered from memory
    files = ModuleFiles()
    serve_static_file = app.view_functions["static"]

    def serve_static(filename):
        folder, _, name = filename.rpartition("/")
        if folder in MODULE_FOLDERS and name.endswith(".js"):
            return files.response(app.static_folder, folder, name)
        return serve_static_file(filename=filename)

    app.view_functions["static"] = serve_static
