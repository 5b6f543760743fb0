"""The town's list of businesses imported into the pipeline through the catalogue's import jobs."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from stdnum import luhn

from accounts.models import Role, User
from catalog.models import Category, ImportJob, ImportKind, ImportStatus, Merchant, MerchantKind, MerchantStatus
from onboarding.imports import import_prospects
from onboarding.models import NafRule, Prospect, ProspectMove, ProspectSource, Step
from onboarding.pipeline import move_prospect
from tenants.models import Town
from tests.catalog.factories import MerchantFactory
from tests.onboarding.factories import make_agent


def siret(number: int) -> str:
    """A SIRET whose SIREN and whole number pass their Luhn checks, for the test's businesses."""
    siren = f"{73_000_000 + number:08d}"
    body = siren + luhn.calc_check_digit(siren) + "0001"
    return body + luhn.calc_check_digit(body)


def test_a_sirene_style_file_becomes_draft_merchants_filed_by_their_naf_codes(town_a: Town) -> None:
    data = (
        "siret;enseigne;activitePrincipaleEtablissement;adresse;code_postal;commune;contact\n"
        f"{siret(1)};Boulangerie du Beffroi;10.71C;12 place d'Armes;62100;Calais;Mme Leroy\n"
        f"{siret(2)};Le Channel;56.10A;3 boulevard de la Résistance;62100;Calais;\n"
        f"{siret(3)};Primeurs Courgain;47.81Z;marché du Courgain;62100;Calais;M. Dubois\n"
    ).encode()
    with town_a:
        agent = make_agent()
        report = import_prospects(data=data, filename="sirene.csv", actor=agent)
        assert (report.is_valid, report.created, report.updated, report.is_committed) == (True, 3, 0, True)
        rows = {
            p.merchant.name: (p.merchant.kind, p.merchant.status, p.step, p.source, p.naf_code, p.contact_name)
            for p in Prospect.objects.select_related("merchant")
        }
        assert rows == {
            "Boulangerie du Beffroi": (
                MerchantKind.ARTISAN,
                MerchantStatus.DRAFT,
                Step.TO_CONTACT,
                ProspectSource.IMPORT,
                "1071C",
                "Mme Leroy",
            ),
            "Le Channel": (
                MerchantKind.RESTAURANT,
                MerchantStatus.DRAFT,
                Step.TO_CONTACT,
                ProspectSource.IMPORT,
                "5610A",
                "",
            ),
            "Primeurs Courgain": (
                MerchantKind.MARKET_TRADER,
                MerchantStatus.DRAFT,
                Step.TO_CONTACT,
                ProspectSource.IMPORT,
                "4781Z",
                "M. Dubois",
            ),
        }
        assert set(ProspectMove.objects.values_list("moved_by_id", flat=True)) == {agent.pk}


def test_a_town_rule_gives_the_category_and_a_type_column_wins_over_the_naf_code(town_a: Town) -> None:
    with town_a:
        bakeries = Category.objects.create(name="Boulangeries", slug="boulangeries")
        NafRule.objects.create(code="1071", kind=MerchantKind.ARTISAN, category=bakeries)
        data = f"nom;siret;naf;type\nAu Bon Pain;{siret(4)};10.71C;commerce\n".encode()
        assert import_prospects(data=data, filename="l.csv").is_committed
        merchant = Merchant.objects.get(name="Au Bon Pain")
        assert merchant.kind == MerchantKind.SHOP
        assert list(merchant.categories.values_list("slug", flat=True)) == ["boulangeries"]


def test_a_business_the_town_already_has_is_enrolled_but_not_touched(town_a: Town) -> None:
    with town_a:
        live = MerchantFactory(name="Fromagerie Leclercq", siret=siret(5), status=MerchantStatus.LIVE, city="Calais")
        data = f"nom;siret;commune\nFROMAGERIE LECLERCQ SARL;{siret(5)};Coquelles\nNouveau;{siret(6)};Calais\n".encode()
        report = import_prospects(data=data, filename="l.csv")
        assert (report.created, report.updated) == (1, 1)
        live.refresh_from_db()
        assert (live.name, live.city, live.status) == ("Fromagerie Leclercq", "Calais", MerchantStatus.LIVE)
        assert Prospect.objects.get(merchant=live).step == Step.LIVE
        assert Merchant.objects.filter(siret=siret(5)).count() == 1


def test_importing_the_same_list_twice_creates_nothing_the_second_time(town_a: Town) -> None:
    data = f"nom;siret\nQuincaillerie Centrale;{siret(7)}\nSans Siret\n".encode()
    with town_a:
        import_prospects(data=data, filename="l.csv")
        prospect = Prospect.objects.get(merchant__name="Quincaillerie Centrale")
        move_prospect(prospect=prospect, to_step=Step.PAUSED, actor=None, reason="Fermé pour travaux")
        again = import_prospects(data=data, filename="l.csv")
        assert (again.created, again.updated) == (0, 2)
        assert Merchant.objects.count() == 2
        assert Prospect.objects.get(pk=prospect.pk).step == Step.PAUSED


def test_a_duplicate_siret_inside_the_file_is_reported_and_nothing_is_written(town_a: Town) -> None:
    data = f"nom;siret\nA;{siret(8)}\nB;{siret(9)}\nA bis;{siret(8)}\n".encode()
    with town_a:
        report = import_prospects(data=data, filename="l.csv")
        assert report.errors == [{"line": 4, "column": "nom", "message": "Ce commerce figure déjà ligne 2."}]
        assert (Merchant.objects.count(), Prospect.objects.count()) == (0, 0)


def test_a_bad_naf_code_or_siret_checksum_is_reported_on_its_line_and_nothing_is_written(town_a: Town) -> None:
    data = f"nom;siret;naf\nBon;{siret(10)};47.24Z\nMauvais NAF;{siret(11)};47-XYZ\nMauvais SIRET;12345678901234;\n".encode()
    with town_a:
        report = import_prospects(data=data, filename="l.csv")
        assert [(error["line"], error["column"]) for error in report.errors] == [(3, "naf"), (4, "siret")]
        assert report.errors[0]["message"] == "Code NAF « 47-XYZ » illisible (exemple : 47.24Z)."
        assert (Merchant.objects.count(), Prospect.objects.count()) == (0, 0)


def test_an_agent_imports_the_list_from_the_onboarding_page_and_reads_the_job_report(
    town_a: Town, client_a: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with town_a:
        client_a.force_login(make_agent())
    upload = SimpleUploadedFile("commerces.csv", f"nom;siret\nCordonnerie Lafayette;{siret(12)}\n".encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post("/gestion/accompagnement/import/", {"source": upload})
    with town_a:
        job = ImportJob.objects.get()
        assert (job.kind, job.status, job.report["created"]) == (ImportKind.PROSPECTS, ImportStatus.DONE, 1)
        assert Prospect.objects.get().merchant.name == "Cordonnerie Lafayette"
    assert response.status_code == 302
    assert response["Location"] == f"/gestion/catalogue/imports/{job.pk}/"
    page = client_a.get(response["Location"]).content.decode()
    assert "1 commerce(s) ajouté(s) au suivi, 0 déjà connu(s), laissé(s) tel(s) quel(s)" in page


def test_the_import_page_refuses_residents_and_merchants(town_a: Town, client_a: Client) -> None:
    with town_a:
        merchant_user = User.objects.create_user("boutique@ville-a.test", "pw-2026-boutique", role=Role.MERCHANT_STAFF)
        client_a.force_login(merchant_user)
    upload = SimpleUploadedFile("commerces.csv", b"nom\nIntrus\n")
    assert client_a.post("/gestion/accompagnement/import/", {"source": upload}).status_code == 403
    with town_a:
        assert (ImportJob.objects.count(), Merchant.objects.count()) == (0, 0)


def test_the_catalogue_import_form_does_not_offer_the_prospects_kind(town_a: Town, client_a: Client) -> None:
    with town_a:
        client_a.force_login(make_agent())
    page = client_a.get("/gestion/catalogue/imports/").content.decode()
    assert 'value="merchants"' in page
    assert 'value="prospects"' not in page
