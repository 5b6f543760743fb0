"""The town's delivery pages for dispatchers, under /gestion/livraisons/ (namespace "dispatch")."""

from django.urls import path

from logistics import views_board, views_fleet

app_name = "dispatch"

urlpatterns = [
    path("", views_fleet.home, name="home"),
    path("tableau/", views_board.board_page, name="board"),
    path("tableau/planifier/", views_board.plan, name="plan"),
    path("tableau/tournees/<int:round_id>/verrou/", views_board.round_lock, name="round_lock"),
    path("tableau/arrets/<int:stop_id>/verrou/", views_board.stop_lock, name="stop_lock"),
    path("tableau/livraisons/<int:delivery_id>/deplacer/", views_board.delivery_move, name="delivery_move"),
    path("tableau/livraisons/<int:delivery_id>/inserer/", views_board.delivery_insert, name="delivery_insert"),
    path("flotte/", views_fleet.fleet_page, name="fleet"),
    path("flotte/depots/nouveau/", views_fleet.hub_edit, name="hub_create"),
    path("flotte/depots/<int:hub_id>/", views_fleet.hub_edit, name="hub_edit"),
    path("flotte/types/nouveau/", views_fleet.vehicle_type_edit, name="vehicle_type_create"),
    path("flotte/types/<int:type_id>/", views_fleet.vehicle_type_edit, name="vehicle_type_edit"),
    path("flotte/vehicules/nouveau/", views_fleet.vehicle_edit, name="vehicle_create"),
    path("flotte/vehicules/<int:vehicle_id>/", views_fleet.vehicle_edit, name="vehicle_edit"),
    path("services/", views_fleet.shifts_page, name="shifts"),
    path("services/nouveau/", views_fleet.shift_edit, name="shift_create"),
    path("services/copier-semaine-precedente/", views_fleet.copy_week, name="copy_week"),
    path("services/<int:shift_id>/", views_fleet.shift_edit, name="shift_edit"),
    path("services/<int:shift_id>/supprimer/", views_fleet.shift_delete, name="shift_delete"),
    path("reglages/", views_fleet.settings_page, name="settings"),
]
