"""Forms of the hub's resources, routing rules and the retiring of a partner. They validate; services act."""

from django import forms
from django.db.models import Q

from partners.models import Partner

from .directory import CLOSE, MOVE, routing_rule_check
from .models import Resource, RoutingRule


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)


class DateInput(forms.DateInput):
    input_type = "date"


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = ["title", "url", "summary", "kind", "provider", "support_needs", "themes", "innovation_types",
                  "stages", "deadline", "review_due_on", "owner", "is_active"]
        labels = {"url": "Web address", "summary": "Summary for submitters (optional)",
                  "provider": "Who publishes it (optional)", "deadline": "Deadline (optional)",
                  "review_due_on": "Review by", "owner": "Who checks it",
                  "support_needs": "What it helps with", "themes": "Priority themes (optional)",
                  "innovation_types": "Types of innovation (none ticked: any)",
                  "stages": "Stages (none ticked: any)",
                  "is_active": "Offered to submitters"}
        help_texts = {"review_due_on": "Not offered after this date until someone checks it. Whoever checks it is "
                                       "reminded 4 weeks and 1 week before.",
                      "owner": "A member of the hub, reminded by email before the review date."}
        widgets = {"kind": forms.RadioSelect, "summary": forms.Textarea(attrs={"rows": 3}),
                   "deadline": DateInput, "review_due_on": DateInput}
        error_messages = {
            "title": {"required": "Enter the resource's title"},
            "url": {"required": "Enter the resource's web address",
                    "invalid": "Enter a web address like https://www.example.org/guide"},
            "kind": {"required": "Select what kind of resource it is"},
            "review_due_on": {"required": "Enter the date to review it by", "invalid": "Enter a real date"},
            "deadline": {"invalid": "Enter a real date"},
            "owner": {"required": "Select who checks it", "invalid_choice": "Select a member of the hub"},
        }

    def __init__(self, *args, hub, **kwargs):
        super().__init__(*args, **kwargs)
        from hubportal.models import User

        self.fields["owner"].queryset = User.objects.filter(
            hub_memberships__hub=hub, is_active=True).order_by("full_name", "email")
        self.fields["owner"].label_from_instance = lambda user: user.full_name or user.email
        self.fields["owner"].required = True
        self.fields["support_needs"].required = True
        self.fields["support_needs"].error_messages["required"] = "Select at least one thing it helps with"

    def clean(self):
        cleaned = super().clean()
        deadline, review = cleaned.get("deadline"), cleaned.get("review_due_on")
        if deadline and review and review > deadline:
            self.add_error("review_due_on", "The review date must be on or before the deadline")
        return cleaned


class RoutingRuleForm(forms.Form):
    """A plain form (not a ModelForm) so a retired partner is named in the error rather than refused as
    "not one of the choices": the choices are the hub's active partners, but any partner's id is read."""

    name = forms.CharField(label="Name of the rule", max_length=200,
                           help_text="Shown to staff as the reason, e.g. 'Every IG question goes to the ICB's IG team'",
                           error_messages={"required": "Enter a name for the rule"})
    action = forms.ChoiceField(label="What it does", choices=RoutingRule.Action.choices, widget=forms.RadioSelect,
                               error_messages={"required": "Select what the rule does"})
    partner = forms.CharField(label="Partner (or choose a resource)", required=False, widget=forms.Select)
    resource = forms.CharField(label="Resource (or choose a partner)", required=False, widget=forms.Select)
    support_needs = RoutingRule._meta.get_field("support_needs").formfield(label="Applies when the inquiry needs")
    themes = RoutingRule._meta.get_field("themes").formfield(label="Applies to these themes")
    innovation_types = RoutingRule._meta.get_field("innovation_types").formfield(label="Applies to these types")
    stages = RoutingRule._meta.get_field("stages").formfield(label="Applies at these stages")
    weight = forms.IntegerField(label="Points", min_value=1, max_value=100, initial=10,
                                widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4"}),
                                help_text="Added by 'add' and 'boost' (a tag match is worth 1 to 3 points)",
                                error_messages={"required": "Enter the points", "invalid": "Enter a whole number",
                                                "min_value": "Enter points from 1 to 100",
                                                "max_value": "Enter points from 1 to 100"})
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args, hub, **kwargs):
        super().__init__(*args, **kwargs)
        self.hub = hub
        partners = Partner.objects.filter(Q(hubs=hub) | Q(serves_all_hubs=True), is_active=True).distinct()
        self.fields["partner"].widget.choices = [("", "None")] + [
            (str(p.public_id), p.name) for p in partners.order_by("name")]
        resources = Resource.objects.filter(Q(hub=hub) | Q(hub__isnull=True), is_active=True)
        self.fields["resource"].widget.choices = [("", "None")] + [
            (str(r.public_id), r.title) for r in resources.order_by("title")]

    @staticmethod
    def _find(model, value, message):
        if not value:
            return None
        found = model.objects.filter(public_id=value).first() if _is_uuid(value) else None
        if found is None:
            raise forms.ValidationError(message)
        return found

    def clean_partner(self):
        return self._find(Partner, self.cleaned_data["partner"], "Select a partner from the list")

    def clean_resource(self):
        return self._find(Resource, self.cleaned_data["resource"], "Select a resource from the list")

    def clean(self):
        cleaned = super().clean()
        if "partner" in cleaned and "resource" in cleaned:
            refused = routing_rule_check(hub=self.hub, partner=cleaned["partner"], resource=cleaned["resource"])
            if refused:
                self.add_error(*refused)
        return cleaned

    @classmethod
    def initial_for(cls, rule):
        return {"name": rule.name, "action": rule.action, "weight": rule.weight, "is_active": rule.is_active,
                "partner": str(rule.partner.public_id) if rule.partner_id else "",
                "resource": str(rule.resource.public_id) if rule.resource_id else "",
                "support_needs": rule.support_needs, "themes": rule.themes,
                "innovation_types": rule.innovation_types, "stages": rule.stages}


def _is_uuid(value):
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class RetireForm(forms.Form):
    action = forms.ChoiceField(label="What should happen to the open referrals?", widget=forms.RadioSelect,
                               choices=[(CLOSE, "Close them, with a reason the people who asked are told"),
                                        (MOVE, "Move them to another partner")],
                               error_messages={"required": "Select what should happen to the open referrals"})
    reason = forms.CharField(label="Why are they closed? (to close them)", required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}))
    move_to = forms.CharField(label="Partner to move them to (to move them)", required=False, widget=forms.Select)

    def __init__(self, *args, hub, partner, has_referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.hub, self.partner = hub, partner
        if not has_referrals:
            del self.fields["action"], self.fields["reason"], self.fields["move_to"]
            return
        others = (Partner.objects.filter(Q(hubs=hub) | Q(serves_all_hubs=True), is_active=True)
                  .exclude(pk=partner.pk).distinct().order_by("name"))
        self.fields["move_to"].widget.choices = [("", "Choose a partner")] + [
            (str(p.public_id), p.name) for p in others]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == CLOSE and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Enter why the referrals are closed")
        if cleaned.get("action") == MOVE:
            value = cleaned.get("move_to")
            target = Partner.objects.filter(public_id=value).first() if value and _is_uuid(value) else None
            if target is None or target.pk == self.partner.pk:
                self.add_error("move_to", "Select the partner to move the referrals to")
            elif not target.is_active:
                self.add_error("move_to", f"{target.name} has been retired. Choose an active partner")
            cleaned["move_to"] = target
        else:
            cleaned["move_to"] = None
        return cleaned
