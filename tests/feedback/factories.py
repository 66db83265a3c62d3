"""Factories for every feedback model; related rows (alert, analysis, user) are made in the same organisation."""

import factory
from django.utils import timezone

from apps.feedback.models import AnalysisFeedback, RemediationFeedback, RepeatCheck, SuccessfulRemediation
from tests.analysis.factories import AnalysisFactory
from tests.tenancy.factories import OrganizationFactory, UserFactory


class RemediationFeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RemediationFeedback

    organization = factory.SubFactory(OrganizationFactory)
    analysis = factory.SubFactory(AnalysisFactory, organization=factory.SelfAttribute("..organization"))
    alert = factory.LazyAttribute(lambda o: o.analysis.alert)
    user = factory.SubFactory(UserFactory)
    feedback_type = "not_helpful"
    rating = 2
    comment = "Restarting did not help."
    correct_action = "Re-added the missing network route to the database."
    alert_pattern = factory.LazyAttribute(lambda o: o.alert.name if o.alert else "")
    service = factory.LazyAttribute(lambda o: o.alert.service if o.alert else "")
    suggestion = "Roll back payment-api"
    provider_kind = "builtin"
    model_name = "knowledge-base"


class AnalysisFeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnalysisFeedback

    organization = factory.SubFactory(OrganizationFactory)
    analysis = factory.SubFactory(AnalysisFactory, organization=factory.SelfAttribute("..organization"))
    alert = factory.LazyAttribute(lambda o: o.analysis.alert)
    user = factory.SubFactory(UserFactory)
    analysis_section = "root_cause"
    is_accurate = False
    user_correction = "The database route was missing, not a bad deploy."
    alert_pattern = factory.LazyAttribute(lambda o: o.alert.name if o.alert else "")
    provider_kind = "builtin"


class SuccessfulRemediationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuccessfulRemediation

    organization = factory.SubFactory(OrganizationFactory)
    alert_pattern = "DatabaseConnectionTimeout"
    alert_labels = factory.LazyFunction(lambda: {"service": "orders-api", "env": "production"})
    service = "orders-api"
    problem_summary = "orders-api cannot reach orders-db: connections time out."
    solution_summary = "Re-add the missing network route from the app subnet to the database."
    verified_at = factory.LazyFunction(timezone.now)
    success_count = 1


class RepeatCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RepeatCheck

    organization = factory.SubFactory(OrganizationFactory)
    analysis = factory.SubFactory(AnalysisFactory, organization=factory.SelfAttribute("..organization"))
    alert_pattern = factory.LazyAttribute(lambda o: o.analysis.alert.name)
    provider_kind = "builtin"
    known_bad = 1
    repeated = False
