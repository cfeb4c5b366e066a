"""Every model, imported once so the metadata (and Alembic) sees all tables."""
from trainer.audit.models import AuditEvent  # noqa: F401
from trainer.auth.models import User, UserSession  # noqa: F401
from trainer.framework.models import Competency, Position, PositionRequirement, RegionPriority  # noqa: F401
from trainer.learning.models import (  # noqa: F401
    Cohort, Course, CourseCompetency, Enrollment, Provider, course_prerequisites)
from trainer.org.models import Unit, UnitMerge  # noqa: F401
from trainer.people.models import Assessment, Official, Rating  # noqa: F401
from trainer.learning.models import (  # noqa: F401,E402
    Attendance, CohortRequest, CohortSession, CourseModule, ModuleResult)
from trainer.notices.models import Notification, OutboxEmail  # noqa: F401,E402
from trainer.plans.models import PostTrainingReview, TrainingPlan, TrainingPlanItem  # noqa: F401,E402
from trainer.targets.models import Target  # noqa: F401,E402
from trainer.auth.tokens import ApiCredential  # noqa: F401,E402
from trainer.interchange.models import ImportBatch, ReviewItem  # noqa: F401,E402
from trainer.xapi.models import ActivityMapping, XapiStatement  # noqa: F401,E402
from trainer.cohorts.models import CertificateConfirmation  # noqa: F401,E402
