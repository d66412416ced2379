"""Every blueprint of the accreditation, under the one URL prefix ``/accreditation``."""

from .decision.views import bp as decision_bp
from .hearing.views import bp as hearing_bp
from .inspection.views import bp as inspection_bp
from .onsite.views import bp as onsite_bp
from .recommend.views import bp as recommend_bp
from .views import bp as records_bp

BLUEPRINTS = (records_bp, recommend_bp, hearing_bp, inspection_bp, onsite_bp, decision_bp)
