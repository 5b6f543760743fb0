"""Version 1 of every town's agreement, until the town publishes its own (created by migration 0008).

Plain text: paragraphs separated by blank lines; merge fields in double braces (see ``rendering``).
Kept as it was published: changing this text changes no town's version 1 (the migration copied it).
"""

DEFAULT_AGREEMENT_TEXT = """\
Convention de partenariat et de mandat d'encaissement pour compte de tiers

Entre la commune de {{ ville }}, agissant par sa régie de recettes de la place de marché en ligne, ci-après « la Ville », et {{ commercant }}, SIRET {{ siret }}, établi {{ adresse_commercant }}, ci-après « le Commerçant ».

Article 1 — Objet
La présente convention fixe les conditions dans lesquelles le Commerçant vend ses produits sur la place de marché en ligne de la Ville, et donne mandat à la Ville d'encaisser pour son compte le prix payé par les acheteurs.

Article 2 — Encaissement par la régie
Les paiements des acheteurs sont encaissés par la régie de recettes de la Ville, au nom et pour le compte du Commerçant, conformément à la délibération instituant la régie. Les sommes encaissées restent la propriété du Commerçant jusqu'à leur reversement, déduction faite de la commission prévue à l'article 3.

Article 3 — Commission
La Ville retient une commission de {{ commission }} sur le montant des ventes du Commerçant réalisées sur la place de marché.

Article 4 — Calendrier de reversement
Les sommes dues au Commerçant lui sont reversées par virement {{ calendrier_reversements }}, sur le compte bancaire qu'il a déclaré, après un délai de {{ delai_retenue }} suivant la remise de chaque commande à l'acheteur. Un montant inférieur à {{ virement_minimum }} est reporté au reversement suivant. Les remboursements accordés aux acheteurs sont déduits des reversements.

Article 5 — Obligations du Commerçant
Le Commerçant tient à jour ses produits, ses prix et ses disponibilités, prépare les commandes acceptées et respecte la réglementation applicable à la vente à distance et à ses produits.

Article 6 — Durée et résiliation
La convention est conclue pour une durée d'un an, renouvelable par tacite reconduction. Chaque partie peut la résilier à tout moment par écrit, avec un préavis d'un mois ; les sommes encaissées avant la résiliation sont reversées selon l'article 4. Une nouvelle version de la convention publiée par la Ville doit être acceptée par le Commerçant pour que les reversements se poursuivent.

Article 7 — Données personnelles
La Ville traite les données des acheteurs et du Commerçant pour l'exécution de la présente convention, dans le respect du règlement (UE) 2016/679 (RGPD) et de la loi Informatique et Libertés. Le Commerçant n'utilise les données des acheteurs que pour préparer et remettre leurs commandes.

Fait à {{ ville }}, en version électronique ou sur papier.
"""
