from django.urls import path

from peyvand.accounts.views import admin, auth, members, workspace

app_name = "accounts"

urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("language/", auth.set_language, name="set_language"),
    path("password/", auth.password_change, name="password_change"),
    path("password/done/", auth.password_change_done, name="password_change_done"),
    path("password/reset/", auth.password_reset, name="password_reset"),
    path("password/reset/sent/", auth.password_reset_done, name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth.password_reset_confirm, name="password_reset_confirm"),
    path("password/reset/complete/", auth.password_reset_complete, name="password_reset_complete"),
    path("workspaces/switch/", auth.workspace_switch, name="workspace_switch"),
    path("workspaces/new/", workspace.workspace_new, name="workspace_new"),
    path("settings/workspace/", workspace.workspace_settings, name="workspace_settings"),
    path("settings/members/", members.member_list, name="members"),
    path("settings/members/invite/", members.member_invite, name="member_invite"),
    path("settings/members/<int:member_id>/", members.member_edit, name="member_edit"),
    path("settings/members/<int:member_id>/deactivate/", members.member_deactivate, name="member_deactivate"),
    path("settings/members/<int:member_id>/reactivate/", members.member_reactivate, name="member_reactivate"),
    path("settings/invites/<int:invite_id>/revoke/", members.invite_revoke, name="invite_revoke"),
    path("invites/<str:token>/", members.invite_accept, name="invite_accept"),
    path("settings/teams/", admin.team_list, name="teams"),
    path("settings/teams/<int:team_id>/", admin.team_edit, name="team_edit"),
    path("settings/teams/<int:team_id>/delete/", admin.team_delete, name="team_delete"),
    path("settings/roles/", admin.role_list, name="roles"),
    path("settings/roles/new/", admin.role_edit, name="role_new"),
    path("settings/roles/<int:role_id>/", admin.role_edit, name="role_edit"),
    path("settings/roles/<int:role_id>/delete/", admin.role_delete, name="role_delete"),
    path("settings/tokens/", admin.token_list, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", admin.token_revoke, name="token_revoke"),
    path("settings/audit/", admin.audit_log, name="audit_log"),
    path("history/<slug:entity>/<int:record_id>/", admin.record_history, name="history"),
    path("settings/recycle-bin/", admin.recycle_bin, name="recycle_bin"),
    path(
        "settings/recycle-bin/<slug:entity>/<int:record_id>/restore/",
        admin.recycle_restore,
        name="recycle_restore",
    ),
    path(
        "settings/recycle-bin/<slug:entity>/<int:record_id>/purge/", admin.recycle_purge, name="recycle_purge"
    ),
]
