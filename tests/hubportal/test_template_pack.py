"""The nhsuk crispy-forms template pack (templates/nhsuk/) and the form includes it relies on.

Small forms are declared here and rendered with `{% crispy form %}` / `{{ form|crispy }}`; the
output is parsed into a tree so the assertions are about elements, classes and attributes, compared
with nhsuk-frontend 10's fixtures (node_modules/nhsuk-frontend/dist/nhsuk/components/*/fixtures.json).
Nothing here renders base.html.
"""

import datetime
from html.parser import HTMLParser

import pytest
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Fieldset, Layout, Submit
from django import forms
from django.template import engines
from django.test import RequestFactory

# --- A small HTML tree, enough to ask about elements -------------------------------------------

VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                 "source", "track", "wbr"}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []

    @property
    def classes(self):
        return (self.attrs.get("class") or "").split()

    @property
    def text(self):
        parts = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text)
        return " ".join(" ".join(parts).split())

    @property
    def raw_text(self):
        return "".join(child if isinstance(child, str) else child.raw_text for child in self.children)

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag=None, cls=None, **attrs):
        found = []
        for element in self.iter():
            if tag and element.tag != tag:
                continue
            if cls and cls not in element.classes:
                continue
            if any(element.attrs.get(name.replace("_", "-")) != value for name, value in attrs.items()):
                continue
            found.append(element)
        return found

    def find(self, tag=None, cls=None, **attrs):
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag or '*'}> with class={cls!r} {attrs!r}"
        return found[0]

    def by_id(self, element_id):
        found = [element for element in self.iter() if element.attrs.get("id") == element_id]
        assert len(found) == 1, f"expected one element with id={element_id!r}, found {len(found)}"
        return found[0]

    def closest(self, tag=None, cls=None):
        node = self.parent
        while node is not None:
            if (tag is None or node.tag == tag) and (cls is None or cls in node.classes):
                return node
            node = node.parent
        return None

    def describedby(self):
        return (self.attrs.get("aria-describedby") or "").split()


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in VOID_ELEMENTS:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None, f"unexpected </{tag}>"
        self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html):
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.current is builder.root, f"unclosed <{builder.current.tag}>"
    return builder.root


def render(source, form, request=None):
    template = engines["django"].from_string("{% load crispy_forms_tags %}" + source)
    html = template.render({"form": form}, request)
    return html, parse(html)


def crispy(form, request=None):
    return render("{% crispy form %}", form, request)


def crispy_filter(form):
    return render("{{ form|crispy }}", form)


@pytest.fixture
def request_with_csrf():
    request = RequestFactory().get("/")
    return request


# --- Forms -------------------------------------------------------------------------------------


class DateWidget(forms.MultiWidget):
    """Three number inputs named <name>_day, <name>_month and <name>_year."""

    def __init__(self, attrs=None):
        super().__init__({"day": forms.NumberInput, "month": forms.NumberInput, "year": forms.NumberInput}, attrs)

    def decompress(self, value):
        return [value.day, value.month, value.year] if value else [None, None, None]


class DateField(forms.MultiValueField):
    widget = DateWidget

    def __init__(self, **kwargs):
        super().__init__(fields=[forms.IntegerField(), forms.IntegerField(), forms.IntegerField()],
                         require_all_fields=True, **kwargs)

    def compress(self, data_list):
        if not data_list:
            return None
        day, month, year = data_list
        try:
            return datetime.date(year, month, day)
        except (TypeError, ValueError):
            raise forms.ValidationError("Date of birth must be a real date") from None


class ContactForm(forms.Form):
    full_name = forms.CharField(
        label="What is your full name?",
        max_length=200,
        error_messages={"required": "Enter your full name"},
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": False}),
    )
    email = forms.EmailField(
        label="Email address",
        help_text="We will only use this to reply to you",
        error_messages={"required": "Enter your email address",
                        "invalid": "Enter an email address in the correct format, like name@example.nhs.uk"},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "class": "nhsuk-input--width-30"}),
    )
    phone = forms.CharField(
        label="Phone number (optional)",
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "class": "nhsuk-input--width-20"}),
    )


class HeadedContactForm(ContactForm):
    page_heading_field = "full_name"


class DetailForm(forms.Form):
    page_heading_field = "detail"
    detail = forms.CharField(
        label="Can you provide more detail?",
        help_text="Do not include anything that could identify a patient",
        max_length=350,
        error_messages={"required": "Enter more detail"},
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    notes = forms.CharField(label="Anything else?", required=False, widget=forms.Textarea)


class ContactMethodForm(forms.Form):
    page_heading_field = "method"
    method = forms.ChoiceField(
        label="How do you want to be contacted about this?",
        help_text="Select 1 option",
        choices=[("email", "Email"), ("phone", "Phone"), ("text", "Text message")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select how you want to be contacted"},
    )
    topics = forms.MultipleChoiceField(
        label="What is it about?",
        help_text="Select all that apply",
        choices=[("digital", "Digital"), ("devices", "Medical devices"), ("workforce", "Workforce")],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one topic"},
    )
    agree = forms.BooleanField(
        label="I agree to be contacted",
        error_messages={"required": "Agree to be contacted to continue"},
    )


class RegionForm(forms.Form):
    region = forms.ChoiceField(
        label="Choose location",
        choices=[("", "Choose location"), ("london", "London"), ("northwest", "North West")],
        error_messages={"required": "Select a location"},
    )


class UploadForm(forms.Form):
    attachment = forms.FileField(label="Upload a file", help_text="A PDF or Word document",
                                 error_messages={"required": "Select a file"})


class BirthdayForm(forms.Form):
    page_heading_field = "dob"
    dob = DateField(label="What is your date of birth?", help_text="For example, 31 3 1980",
                    error_messages={"required": "Enter your date of birth", "incomplete": "Date of birth must include a year"})


class SubmitForm(ContactForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("continue", "Continue"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("full_name") == "Nobody":
            raise forms.ValidationError("We could not find that person")
        return cleaned


# --- Text inputs -------------------------------------------------------------------------------


def test_it_renders_a_text_input_with_the_nhsuk_input_class_inside_a_form_group():
    _, doc = crispy_filter(ContactForm())

    control = doc.by_id("id_full_name")
    assert control.tag == "input"
    assert control.attrs["type"] == "text"
    assert control.attrs["name"] == "full_name"
    assert control.classes == ["nhsuk-input"]
    assert control.parent.classes == ["nhsuk-form-group"]
    label = doc.find("label", **{"for": "id_full_name"})
    assert label.classes == ["nhsuk-label"]
    assert label.text == "What is your full name?"


def test_it_keeps_the_widget_type_for_email_and_tel_inputs():
    _, doc = crispy_filter(ContactForm())

    assert doc.by_id("id_email").attrs["type"] == "email"
    assert doc.by_id("id_phone").attrs["type"] == "tel"


def test_it_adds_the_widget_class_after_the_nhsuk_classes_so_width_classes_pass_through():
    _, doc = crispy_filter(ContactForm(data={"email": "not-an-email"}))

    assert doc.by_id("id_email").classes == ["nhsuk-input", "nhsuk-input--error", "nhsuk-input--width-30"]
    assert doc.by_id("id_phone").classes == ["nhsuk-input", "nhsuk-input--width-20"]


def test_it_passes_widget_attrs_through_to_the_control():
    _, doc = crispy_filter(ContactForm())

    full_name = doc.by_id("id_full_name")
    assert full_name.attrs["autocomplete"] == "name"
    assert full_name.attrs["spellcheck"] == "false"
    assert doc.by_id("id_phone").attrs["autocomplete"] == "tel"


def test_it_never_renders_html5_required_or_aria_invalid_attributes():
    html, doc = crispy(ContactMethodForm(data={}))

    assert " required" not in html
    assert "aria-invalid" not in html
    for element in doc.find_all():
        assert "required" not in element.attrs


def test_a_crispy_field_layout_object_can_set_the_width_class():
    form = ContactForm()
    form.helper = FormHelper()
    form.helper.form_tag = False
    form.helper.layout = Layout(Field("full_name", css_class="nhsuk-u-width-two-thirds"))

    _, doc = crispy(form)

    assert doc.by_id("id_full_name").classes == ["nhsuk-input", "nhsuk-u-width-two-thirds"]


# --- Hints and errors --------------------------------------------------------------------------


def test_it_renders_the_help_text_as_a_hint_referenced_by_aria_describedby():
    _, doc = crispy_filter(ContactForm())

    hint = doc.by_id("id_email-hint")
    assert hint.classes == ["nhsuk-hint"]
    assert hint.text == "We will only use this to reply to you"
    assert doc.by_id("id_email").describedby() == ["id_email-hint"]
    assert "aria-describedby" not in doc.by_id("id_full_name").attrs


def test_it_marks_a_field_with_an_error_and_describes_the_control_with_the_hint_then_the_error():
    _, doc = crispy_filter(ContactForm(data={"full_name": "Ann", "email": "not-an-email"}))

    control = doc.by_id("id_email")
    group = control.closest(cls="nhsuk-form-group")
    assert group.classes == ["nhsuk-form-group", "nhsuk-form-group--error"]
    assert "nhsuk-input--error" in control.classes
    assert control.describedby() == ["id_email-hint", "id_email-error"]

    error = doc.by_id("id_email-error")
    assert error.tag == "span"
    assert error.classes == ["nhsuk-error-message"]
    hidden = error.find("span", cls="nhsuk-u-visually-hidden")
    assert hidden.raw_text == "Error: "
    assert error.text == "Error: Enter an email address in the correct format, like name@example.nhs.uk"


def test_it_puts_label_hint_and_error_before_the_control_as_nhsuk_frontend_does():
    _, doc = crispy_filter(ContactForm(data={"email": "x"}))

    group = doc.by_id("id_email").parent
    order = [child.tag + ("." + child.classes[0] if child.classes else "")
             for child in group.children if not isinstance(child, str)]
    assert order == ["label.nhsuk-label", "div.nhsuk-hint", "span.nhsuk-error-message", "input.nhsuk-input"]


def test_it_shows_no_error_markup_on_fields_without_errors():
    _, doc = crispy_filter(ContactForm(data={"full_name": "Ann", "email": "ann@example.nhs.uk"}))

    assert doc.find_all(cls="nhsuk-error-message") == []
    assert doc.find_all(cls="nhsuk-form-group--error") == []


# --- Values survive a validation error ----------------------------------------------------------


def test_it_re_renders_typed_text_so_nothing_is_lost_after_a_validation_error():
    _, doc = crispy_filter(ContactForm(data={"full_name": "Florence Nightingale", "email": "bad", "phone": "01632 960 001"}))

    assert doc.by_id("id_full_name").attrs["value"] == "Florence Nightingale"
    assert doc.by_id("id_email").attrs["value"] == "bad"
    assert doc.by_id("id_phone").attrs["value"] == "01632 960 001"


def test_it_re_renders_textarea_content():
    _, doc = crispy_filter(DetailForm(data={"detail": "Line one\nLine two", "notes": "More"}))

    assert doc.by_id("id_detail").raw_text.lstrip("\n") == "Line one\nLine two"
    assert doc.by_id("id_notes").raw_text.lstrip("\n") == "More"


def test_it_re_renders_checked_radios_checkboxes_and_single_checkbox():
    _, doc = crispy_filter(ContactMethodForm(data={"method": "phone", "topics": ["digital", "workforce"], "agree": "on"}))

    assert [radio.attrs["value"] for radio in doc.find_all("input", type="radio") if "checked" in radio.attrs] == ["phone"]
    assert [box.attrs["value"] for box in doc.find_all("input", name="topics") if "checked" in box.attrs] == [
        "digital", "workforce"]
    assert "checked" in doc.by_id("id_agree").attrs


def test_it_re_renders_the_selected_option():
    _, doc = crispy_filter(RegionForm(data={"region": "northwest"}))

    selected = [option.attrs["value"] for option in doc.find_all("option") if "selected" in option.attrs]
    assert selected == ["northwest"]


def test_it_re_renders_the_typed_date_parts_even_when_the_date_is_invalid():
    _, doc = crispy_filter(BirthdayForm(data={"dob_day": "31", "dob_month": "2", "dob_year": "2024"}))

    assert doc.by_id("id_dob_0").attrs["value"] == "31"
    assert doc.by_id("id_dob_1").attrs["value"] == "2"
    assert doc.by_id("id_dob_2").attrs["value"] == "2024"
    assert doc.by_id("id_dob-error").text == "Error: Date of birth must be a real date"


def test_it_renders_initial_values_on_an_unbound_form():
    _, doc = crispy_filter(BirthdayForm(initial={"dob": datetime.date(1980, 3, 31)}))

    assert [doc.by_id(f"id_dob_{index}").attrs["value"] for index in range(3)] == ["31", "3", "1980"]


def test_it_escapes_re_rendered_values():
    html, doc = crispy_filter(ContactForm(data={"full_name": '"><script>alert(1)</script>', "email": "x"}))

    assert "<script>" not in html
    assert doc.by_id("id_full_name").attrs["value"] == '"><script>alert(1)</script>'


# --- Page heading ------------------------------------------------------------------------------


def test_it_makes_the_page_heading_fields_label_the_pages_h1():
    _, doc = crispy_filter(HeadedContactForm())

    label = doc.find("label", **{"for": "id_full_name"})
    assert label.classes == ["nhsuk-label", "nhsuk-label--l"]
    assert label.parent.tag == "h1"
    assert label.parent.classes == ["nhsuk-label-wrapper"]
    assert len(doc.find_all("h1")) == 1
    assert doc.find("label", **{"for": "id_email"}).classes == ["nhsuk-label"]


def test_it_renders_no_h1_when_the_form_has_no_page_heading_field():
    _, doc = crispy_filter(ContactForm())

    assert doc.find_all("h1") == []


def test_it_makes_the_page_heading_fields_legend_the_pages_h1_for_grouped_inputs():
    _, doc = crispy_filter(ContactMethodForm())

    legend = doc.by_id("id_method_0").closest("fieldset").find("legend")
    assert legend.classes == ["nhsuk-fieldset__legend", "nhsuk-fieldset__legend--l"]
    heading = legend.find("h1")
    assert heading.classes == ["nhsuk-fieldset__heading"]
    assert heading.text == "How do you want to be contacted about this?"
    assert len(doc.find_all("h1")) == 1
    other_legend = doc.by_id("id_topics_0").closest("fieldset").find("legend")
    assert other_legend.classes == ["nhsuk-fieldset__legend"]


def test_it_makes_a_date_fields_legend_the_h1_when_it_is_the_page_heading():
    _, doc = crispy_filter(BirthdayForm())

    assert doc.find("h1", cls="nhsuk-fieldset__heading").text == "What is your date of birth?"


def test_an_optional_page_heading_caption_goes_above_the_heading():
    class CaptionedForm(HeadedContactForm):
        page_heading_caption = "About you"

    _, doc = crispy_filter(CaptionedForm())

    label = doc.find("h1").find("label")
    caption = label.find("span", cls="nhsuk-caption-l")
    assert caption.text == "About you"
    assert label.text == "About you What is your full name?"


# --- Textarea and character count ---------------------------------------------------------------


def test_it_wraps_a_textarea_with_max_length_in_a_character_count():
    _, doc = crispy_filter(DetailForm())

    textarea = doc.by_id("id_detail")
    assert textarea.tag == "textarea"
    assert textarea.classes == ["nhsuk-textarea", "nhsuk-js-character-count"]
    assert textarea.attrs["rows"] == "5"
    assert "maxlength" not in textarea.attrs  # the count warns instead of cutting text off
    wrapper = textarea.parent
    assert wrapper.classes == ["nhsuk-form-group", "nhsuk-character-count"]
    assert wrapper.attrs["data-module"] == "nhsuk-character-count"
    assert wrapper.attrs["data-maxlength"] == "350"
    message = doc.by_id("id_detail-info")
    assert message.classes == ["nhsuk-hint", "nhsuk-character-count__message"]
    assert message.text == "You can enter up to 350 characters"
    assert message.parent is wrapper
    assert textarea.describedby() == ["id_detail-info", "id_detail-hint"]


def test_it_adds_the_error_to_the_character_count_wiring():
    _, doc = crispy_filter(DetailForm(data={"detail": ""}))

    textarea = doc.by_id("id_detail")
    assert textarea.classes == ["nhsuk-textarea", "nhsuk-textarea--error", "nhsuk-js-character-count"]
    assert textarea.parent.classes == ["nhsuk-form-group", "nhsuk-form-group--error", "nhsuk-character-count"]
    assert textarea.describedby() == ["id_detail-info", "id_detail-hint", "id_detail-error"]


def test_it_renders_a_textarea_without_max_length_as_a_plain_nhsuk_textarea():
    _, doc = crispy_filter(DetailForm())

    textarea = doc.by_id("id_notes")
    assert textarea.classes == ["nhsuk-textarea"]
    assert textarea.parent.classes == ["nhsuk-form-group"]
    assert doc.find_all(id="id_notes-info") == []


# --- Radios and checkboxes ----------------------------------------------------------------------


def test_it_renders_radios_as_an_nhsuk_fieldset():
    _, doc = crispy_filter(ContactMethodForm())

    first = doc.by_id("id_method_0")
    fieldset = first.closest("fieldset")
    assert fieldset.classes == ["nhsuk-fieldset"]
    assert fieldset.parent.classes == ["nhsuk-form-group"]
    assert fieldset.describedby() == ["id_method-hint"]
    radios = fieldset.find("div", cls="nhsuk-radios")
    assert radios.attrs["data-module"] == "nhsuk-radios"
    items = radios.find_all("div", cls="nhsuk-radios__item")
    assert len(items) == 3
    for index, (item, (value, text)) in enumerate(zip(items, [("email", "Email"), ("phone", "Phone"),
                                                              ("text", "Text message")], strict=True)):
        control = item.find("input")
        assert control.classes == ["nhsuk-radios__input"]
        assert control.attrs == {**control.attrs, "id": f"id_method_{index}", "name": "method", "type": "radio",
                                 "value": value}
        label = item.find("label")
        assert label.classes == ["nhsuk-label", "nhsuk-radios__label"]
        assert label.attrs["for"] == f"id_method_{index}"
        assert label.text == text


def test_it_puts_the_radios_error_on_the_fieldset():
    _, doc = crispy_filter(ContactMethodForm(data={}))

    fieldset = doc.by_id("id_method_0").closest("fieldset")
    assert fieldset.parent.classes == ["nhsuk-form-group", "nhsuk-form-group--error"]
    assert fieldset.describedby() == ["id_method-hint", "id_method-error"]
    assert doc.by_id("id_method-error").text == "Error: Select how you want to be contacted"
    assert "aria-describedby" not in doc.by_id("id_method_0").attrs


def test_it_renders_checkboxes_as_an_nhsuk_fieldset():
    _, doc = crispy_filter(ContactMethodForm())

    fieldset = doc.by_id("id_topics_0").closest("fieldset")
    assert fieldset.classes == ["nhsuk-fieldset"]
    assert fieldset.find("legend").text == "What is it about?"
    checkboxes = fieldset.find("div", cls="nhsuk-checkboxes")
    assert checkboxes.attrs["data-module"] == "nhsuk-checkboxes"
    controls = checkboxes.find_all("input")
    assert [control.attrs["id"] for control in controls] == ["id_topics_0", "id_topics_1", "id_topics_2"]
    assert {control.attrs["type"] for control in controls} == {"checkbox"}
    assert {tuple(control.classes) for control in controls} == {("nhsuk-checkboxes__input",)}
    labels = checkboxes.find_all("label")
    assert [label.attrs["for"] for label in labels] == ["id_topics_0", "id_topics_1", "id_topics_2"]
    assert [label.text for label in labels] == ["Digital", "Medical devices", "Workforce"]


def test_it_renders_a_boolean_field_as_a_single_checkbox_with_its_label_beside_it():
    _, doc = crispy_filter(ContactMethodForm(data={}))

    control = doc.by_id("id_agree")
    assert control.attrs["type"] == "checkbox"
    assert control.classes == ["nhsuk-checkboxes__input"]
    item = control.parent
    assert item.classes == ["nhsuk-checkboxes__item"]
    assert item.find("label").classes == ["nhsuk-label", "nhsuk-checkboxes__label"]
    assert item.find("label").text == "I agree to be contacted"
    assert item.parent.classes == ["nhsuk-checkboxes"]
    assert control.closest("fieldset") is None
    assert control.describedby() == ["id_agree-error"]
    assert "checked" not in control.attrs


def test_radio_and_checkbox_group_classes_come_from_the_widget_class():
    class InlineForm(forms.Form):
        answer = forms.ChoiceField(label="Yes or no?", choices=[("yes", "Yes"), ("no", "No")],
                                   widget=forms.RadioSelect(attrs={"class": "nhsuk-radios--inline"}))

    _, doc = crispy_filter(InlineForm())

    assert doc.find("div", cls="nhsuk-radios").classes == ["nhsuk-radios", "nhsuk-radios--inline"]
    assert doc.by_id("id_answer_0").classes == ["nhsuk-radios__input"]


# --- Select, file upload and date ----------------------------------------------------------------


def test_it_renders_a_select_with_the_nhsuk_select_class():
    _, doc = crispy_filter(RegionForm(data={}))

    select = doc.by_id("id_region")
    assert select.tag == "select"
    assert select.classes == ["nhsuk-select", "nhsuk-select--error"]
    assert select.describedby() == ["id_region-error"]
    assert [(option.attrs["value"], option.text) for option in select.find_all("option")] == [
        ("", "Choose location"), ("london", "London"), ("northwest", "North West")]


def test_it_renders_a_file_field_as_a_native_file_input_that_passes_axe():
    _, doc = crispy_filter(UploadForm(data={}))

    control = doc.by_id("id_attachment")
    assert control.attrs["type"] == "file"
    assert control.classes == ["nhsuk-file-upload__input"]
    group = control.parent
    # No data-module: the NHS.UK JavaScript enhancement fails axe's label-content-name-mismatch.
    assert group.classes == ["nhsuk-form-group", "nhsuk-form-group--error"]
    assert "data-module" not in group.attrs
    assert control.describedby() == ["id_attachment-hint", "id_attachment-error"]


def test_it_renders_a_date_as_three_labelled_parts_in_an_nhsuk_date_input():
    _, doc = crispy_filter(BirthdayForm())

    date_input = doc.by_id("id_dob")
    assert date_input.classes == ["nhsuk-date-input"]
    fieldset = date_input.closest("fieldset")
    assert fieldset.classes == ["nhsuk-fieldset"]
    assert fieldset.attrs["role"] == "group"
    assert fieldset.describedby() == ["id_dob-hint"]
    items = date_input.find_all("div", cls="nhsuk-date-input__item")
    expected = [("id_dob_0", "dob_day", "Day", "nhsuk-input--width-2"),
                ("id_dob_1", "dob_month", "Month", "nhsuk-input--width-2"),
                ("id_dob_2", "dob_year", "Year", "nhsuk-input--width-4")]
    assert len(items) == 3
    for item, (part_id, name, label_text, width) in zip(items, expected, strict=True):
        control = item.find("input")
        assert control.attrs["id"] == part_id
        assert control.attrs["name"] == name
        assert control.attrs["type"] == "text"
        assert control.attrs["inputmode"] == "numeric"
        assert control.classes == ["nhsuk-input", width, "nhsuk-date-input__input"]
        label = item.find("label")
        assert label.classes == ["nhsuk-label", "nhsuk-date-input__label"]
        assert label.attrs["for"] == part_id
        assert label.text == label_text


def test_it_marks_every_date_part_when_the_date_has_an_error():
    _, doc = crispy_filter(BirthdayForm(data={"dob_day": "", "dob_month": "", "dob_year": ""}))

    fieldset = doc.by_id("id_dob").closest("fieldset")
    assert fieldset.parent.classes == ["nhsuk-form-group", "nhsuk-form-group--error"]
    assert fieldset.describedby() == ["id_dob-hint", "id_dob-error"]
    assert doc.by_id("id_dob-error").text == "Error: Enter your date of birth"
    for index in range(3):
        assert "nhsuk-input--error" in doc.by_id(f"id_dob_{index}").classes


# --- The whole form ---------------------------------------------------------------------------


def test_it_renders_the_form_tag_with_csrf_and_novalidate(request_with_csrf):
    _, doc = crispy(SubmitForm(), request=request_with_csrf)

    form = doc.find("form")
    assert form.attrs["method"] == "post"
    assert "novalidate" in form.attrs
    assert "enctype" not in form.attrs
    token = form.find("input", name="csrfmiddlewaretoken")
    assert token.attrs["type"] == "hidden"
    assert token.attrs["value"]


def test_it_adds_the_multipart_enctype_when_the_form_has_a_file_field():
    _, doc = crispy(UploadForm())

    assert doc.find("form").attrs["enctype"] == "multipart/form-data"


def test_it_renders_crispy_submit_inputs_as_nhsuk_buttons():
    _, doc = crispy(SubmitForm())

    button = doc.find("form").find("button")
    assert button.classes == ["nhsuk-button"]
    assert button.attrs["type"] == "submit"
    assert button.attrs["data-module"] == "nhsuk-button"
    assert button.text == "Continue"
    assert doc.find_all("input", type="submit") == []


def test_it_puts_the_error_summary_at_the_top_of_the_form_when_it_renders_the_form_tag():
    _, doc = crispy(SubmitForm(data={"full_name": "Nobody", "email": "bad"}))

    form = doc.find("form")
    summary = form.find("div", cls="nhsuk-error-summary")
    first_element = next(child for child in form.children if not isinstance(child, str))
    assert first_element is summary or first_element.attrs.get("name") == "csrfmiddlewaretoken"
    assert summary.attrs["data-module"] == "nhsuk-error-summary"
    assert summary.attrs["tabindex"] == "-1"
    alert = summary.find("div", role="alert")
    assert alert.find("h2", cls="nhsuk-error-summary__heading").text == "There is a problem"
    items = alert.find("ul", cls="nhsuk-error-summary__list").find_all("li")
    assert [item.text for item in items] == [
        "We could not find that person",
        "Enter an email address in the correct format, like name@example.nhs.uk",
    ]
    assert items[0].find_all("a") == []
    assert items[1].find("a").attrs["href"] == "#id_email"


def test_it_leaves_the_form_tag_and_error_summary_to_the_page_with_the_crispy_filter():
    _, doc = crispy_filter(SubmitForm(data={}))

    assert doc.find_all("form") == []
    assert doc.find_all(cls="nhsuk-error-summary") == []
    assert doc.find_all("button") == []
    assert doc.by_id("id_full_name-error")


def test_it_renders_a_fieldset_layout_object_as_an_nhsuk_fieldset():
    form = ContactForm()
    form.helper = FormHelper()
    form.helper.form_tag = False
    form.helper.layout = Layout(Fieldset("Your details", "full_name", "email"))

    _, doc = crispy(form)

    fieldset = doc.find("fieldset")
    assert fieldset.classes == ["nhsuk-fieldset"]
    assert fieldset.find("legend", cls="nhsuk-fieldset__legend").text == "Your details"
    assert fieldset.by_id("id_full_name")
    assert fieldset.by_id("id_email")


def test_it_renders_hidden_fields_as_plain_hidden_inputs():
    class StepForm(forms.Form):
        step = forms.CharField(widget=forms.HiddenInput)

    _, doc = crispy_filter(StepForm(initial={"step": "2"}))

    control = doc.by_id("id_step")
    assert control.attrs["type"] == "hidden"
    assert control.attrs["value"] == "2"
    assert doc.find_all("label") == []
    assert doc.find_all(cls="nhsuk-form-group") == []


def test_it_takes_the_form_action_id_and_class_from_the_helper():
    form = SubmitForm()
    form.helper.form_action = "/inquiries/new/"
    form.helper.form_id = "new-inquiry"
    form.helper.form_class = "app-form"

    _, doc = crispy(form)

    tag = doc.find("form")
    assert (tag.attrs["action"], tag.attrs["id"], tag.attrs["class"]) == ("/inquiries/new/", "new-inquiry", "app-form")


def test_it_keeps_labels_for_screen_readers_when_the_helper_hides_them():
    form = SubmitForm()
    form.helper.form_show_labels = False

    _, doc = crispy(form)

    label = doc.find("label", **{"for": "id_full_name"})
    assert label.classes == ["nhsuk-label", "nhsuk-u-visually-hidden"]


def test_the_field_template_included_on_its_own_shows_the_label_and_errors():
    form = ContactForm(data={"email": "bad"})

    _, doc = render('{% include "nhsuk/field.html" with field=form.email %}', form)

    assert doc.find("label").classes == ["nhsuk-label"]
    assert doc.by_id("id_email").describedby() == ["id_email-hint", "id_email-error"]


# --- The includes -------------------------------------------------------------------------------


def render_include(source, **context):
    html = engines["django"].from_string(source).render(context)
    return html, parse(html)


def test_the_error_summary_links_each_error_to_its_control():
    form = ContactMethodForm(data={})
    form.is_valid()
    birthday = BirthdayForm(data={})

    _, doc = render_include('{% include "includes/error_summary.html" %}', form=form)
    _, birthday_doc = render_include('{% include "includes/error_summary.html" %}', form=birthday)

    links = [(link.attrs["href"], link.text) for link in doc.find_all("a")]
    assert links == [
        ("#id_method_0", "Select how you want to be contacted"),
        ("#id_topics_0", "Select at least one topic"),
        ("#id_agree", "Agree to be contacted to continue"),
    ]
    assert [(link.attrs["href"], link.text) for link in birthday_doc.find_all("a")] == [
        ("#id_dob_0", "Enter your date of birth")]


def test_the_error_summary_renders_nothing_for_a_valid_or_unbound_form():
    valid = ContactForm(data={"full_name": "Ann", "email": "ann@example.nhs.uk"})

    assert render_include('{% include "includes/error_summary.html" %}', form=valid)[0].strip() == ""
    assert render_include('{% include "includes/error_summary.html" %}', form=ContactForm())[0].strip() == ""


def test_as_crispy_errors_renders_the_error_summary():
    _, doc = render_include("{% load crispy_forms_tags %}{{ form|as_crispy_errors }}", form=ContactForm(data={}))

    assert doc.find("div", cls="nhsuk-error-summary").find("a").attrs["href"] == "#id_full_name"


def test_the_back_link_include_renders_an_nhsuk_back_link():
    _, doc = render_include('{% include "includes/back_link.html" with href="/inquiries/" %}')

    link = doc.find("a")
    assert link.classes == ["nhsuk-back-link"]
    assert link.attrs["href"] == "/inquiries/"
    assert link.text == "Back"
