"""The notifications inbox and e-mail settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from notifications import services
from notifications.models import Notification

from ..forms import PreferenceForm


@login_required
def notifications(request):
    inbox = Notification.objects.filter(recipient=request.user).order_by("-created_at", "-pk")
    page = Paginator(inbox, 25).get_page(request.GET.get("page"))
    return render(request, "web/notifications.html", {"page": page, "query": ""})


@login_required
@require_POST
def notification_read(request, pk):
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.notification_mark_read(actor=request.user, notification=notification)
    if notification.link:
        return redirect(notification.link)
    return redirect("web:notifications")


@login_required
@require_POST
def notifications_read_all(request):
    marked = services.notifications_mark_all_read(actor=request.user)
    messages.success(request, f"{marked} notification{'s' if marked != 1 else ''} marked as read.")
    return redirect("web:notifications")


@login_required
def notification_settings(request):
    preference = services.preference_for(request.user)
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST":
        if form.is_valid():
            services.preference_update(actor=request.user, **form.settings())
            messages.success(request, "Your e-mail settings are saved.")
            return redirect("web:notification-settings")
        return render(request, "web/notification_settings.html", {"form": form}, status=400)
    return render(request, "web/notification_settings.html", {"form": form})
