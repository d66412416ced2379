"""Permission-matrix rows for unit readiness (merged by tests/test_permissions.py)."""

#: exam admins and the office city-wide, district admins their own district; examinees never
VIEWERS = {"exam_admin", "office", "district_admin"}

#: endpoint -> (method, allowed roles); the role sets are those of tests/test_permissions.py
EXPECTED = {
    "readiness.index": ("GET", VIEWERS),
    "readiness.unit": ("GET", VIEWERS),
    "readiness.export": ("GET", VIEWERS),
    "readiness.print_page": ("GET", VIEWERS),
}


def url_params(endpoint, world, user):
    """A community of district A (jinshui's own)."""
    return {"unit_id": world.communities["a"].id} if endpoint == "readiness.unit" else {}
