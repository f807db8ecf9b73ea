from django.urls import path

from peyvand.contacts.views import companies, contacts, inline, notes, search, settings

app_name = "contacts"

urlpatterns = [
    path("contacts/", contacts.contact_list, name="contact_list"),
    path("contacts/count/", contacts.contact_count, name="contact_count"),
    path("contacts/bulk/", contacts.contact_bulk, name="contact_bulk"),
    path("contacts/quick/", contacts.contact_quick_create, name="contact_quick_create"),
    path("contacts/new/", contacts.contact_edit, name="contact_new"),
    path("contacts/<int:contact_id>/", contacts.contact_detail, name="contact_detail"),
    path("contacts/<int:contact_id>/edit/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/delete/", contacts.contact_delete, name="contact_delete"),
    path("contacts/<int:contact_id>/field/<slug:name>/", inline.contact_inline, name="contact_inline"),
    path("contacts/<int:contact_id>/notes/", notes.contact_note_add, name="contact_note_add"),
    path("contacts/<int:contact_id>/timeline/", notes.contact_timeline, name="contact_timeline"),
    path("companies/", companies.company_list, name="company_list"),
    path("companies/count/", companies.company_count, name="company_count"),
    path("companies/bulk/", companies.company_bulk, name="company_bulk"),
    path("companies/new/", companies.company_edit, name="company_new"),
    path("companies/<int:company_id>/", companies.company_detail, name="company_detail"),
    path("companies/<int:company_id>/edit/", companies.company_edit, name="company_edit"),
    path("companies/<int:company_id>/delete/", companies.company_delete, name="company_delete"),
    path("companies/<int:company_id>/notes/", notes.company_note_add, name="company_note_add"),
    path("companies/<int:company_id>/timeline/", notes.company_timeline, name="company_timeline"),
    path("notes/<int:note_id>/", notes.note_detail, name="note_detail"),
    path("notes/<int:note_id>/edit/", notes.note_edit, name="note_edit"),
    path("notes/<int:note_id>/delete/", notes.note_delete, name="note_delete"),
    path("search/", search.search, name="search"),
    path("settings/tags/", settings.tag_list, name="tags"),
    path("settings/tags/merge/", settings.tag_merge, name="tag_merge"),
    path("settings/tags/<int:tag_id>/", settings.tag_edit, name="tag_edit"),
    path("settings/tags/<int:tag_id>/delete/", settings.tag_delete, name="tag_delete"),
    path("settings/custom-fields/", settings.custom_field_list, name="custom_fields"),
    path("settings/custom-fields/<int:field_id>/", settings.custom_field_edit, name="custom_field_edit"),
    path(
        "settings/custom-fields/<int:field_id>/delete/",
        settings.custom_field_delete,
        name="custom_field_delete",
    ),
    path("settings/lifecycle/", settings.lifecycle_list, name="lifecycle"),
    path("settings/lifecycle/<int:stage_id>/", settings.lifecycle_edit, name="lifecycle_edit"),
    path("settings/lifecycle/<int:stage_id>/move/", settings.lifecycle_move, name="lifecycle_move"),
    path("settings/lifecycle/<int:stage_id>/delete/", settings.lifecycle_delete, name="lifecycle_delete"),
]
