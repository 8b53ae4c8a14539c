from django.contrib import admin

from .models import LayReview, LayReviewAnswer, LayReviewer


@admin.register(LayReviewer)
class LayReviewerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "hub", "is_active"]
    list_filter = ["hub", "is_active"]
    search_fields = ["name", "email"]


class LayReviewAnswerInline(admin.TabularInline):
    model = LayReviewAnswer
    extra = 0
    can_delete = False
    readonly_fields = ["criterion", "answer"]


@admin.register(LayReview)
class LayReviewAdmin(admin.ModelAdmin):
    # Answers are the reviewer's: administrators read them, never edit them.
    list_display = ["inquiry", "reviewer", "status", "requested_at", "responded_at", "minutes_given"]
    list_filter = ["status", "inquiry__hub"]
    readonly_fields = ["inquiry", "reviewer", "checklist", "summary", "requested_by", "requested_at", "status",
                       "responded_at", "comment", "minutes_given", "reason", "score"]
    inlines = [LayReviewAnswerInline]
