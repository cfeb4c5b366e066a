"""Every model, imported once so the metadata (and Alembic) sees all tables, and every area that
listens to domain events (trainer.core.events) or registers with a lower area (the class
imports, the xAPI review matcher), so that nothing is sent to nobody. In layer order
(docs/architecture.md)."""
from trainer.org.models import Unit, UnitMerge  # noqa: F401
from trainer.catalog.models import (  # noqa: F401
    Competency, Position, PositionField, PositionRequirement, RegionPriority)
from trainer.auth.models import ApiCredential, User, UserSession  # noqa: F401
from trainer.people.models import Assessment, Official, Rating, UnitLeader  # noqa: F401
from trainer.catalog.models import (  # noqa: F401
    Course, CourseCompetency, CourseModule, Provider, course_prerequisites)
from trainer.learning.models import Cohort, CohortLecturer, Enrollment  # noqa: F401
from trainer.notices.models import Notification, OutboxEmail  # noqa: F401
from trainer.audit.models import AuditEvent  # noqa: F401
from trainer.degrees.models import ModuleResult  # noqa: F401
from trainer.demand.models import CohortRequest  # noqa: F401
from trainer.plans.models import PostTrainingReview, TrainingPlan, TrainingPlanItem  # noqa: F401
from trainer.reviews.models import CampaignLevel, CampaignReview, ReviewCampaign  # noqa: F401
from trainer.mentoring.models import Mentorship, MentoringSession  # noqa: F401
from trainer.staffing.models import PositionQuota  # noqa: F401
from trainer.feedback.models import CourseFeedback  # noqa: F401
from trainer.targets.models import Target  # noqa: F401
from trainer.interchange.models import ImportBatch, ReviewItem  # noqa: F401
from trainer.cohorts.models import Attendance, CertificateConfirmation, CohortSession  # noqa: F401
from trainer.xapi.models import ActivityMapping, XapiStatement  # noqa: F401

from trainer.audit import operations as _audit_listens  # noqa: F401,E402
from trainer.notices import operations as _notices_listen  # noqa: F401,E402
from trainer.cohorts import operations as _class_imports  # noqa: F401,E402
from trainer.xapi import operations as _xapi_matches  # noqa: F401,E402
from trainer.feedback import operations as _feedback_invites  # noqa: F401,E402
