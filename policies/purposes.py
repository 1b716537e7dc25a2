"""Purposes of processing, as terms of the W3C Data Privacy Vocabulary (DPV 2.x).

A consent grant names one purpose and covers only requests that name the same one: a grant
for `dpv:IdentityVerification` does not cover `dpv:Marketing`, nor even a narrower or broader
DPV purpose. DPV arranges its purposes in a hierarchy (`AgeVerification` is narrower than
`Verification`), but letting a broad grant cover narrower purposes would let a service
stretch a consent the citizen read in one sense; exact matching is what a person expects
when they tick one purpose, and it is easy to audit.

The vocabulary is the subset of DPV's purpose taxonomy (https://w3id.org/dpv#Purpose) that
a city's services ask for; the term names are DPV's own. Adding a term is a protocol change:
every party must know it before it appears on the ledger.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DPV_NAMESPACE", "Purpose"]

#: The IRI that the `dpv:` prefix abbreviates.
DPV_NAMESPACE = "https://w3id.org/dpv#"


class Purpose(StrEnum):
    """A DPV purpose term, written with its `dpv:` prefix on the wire."""

    # Providing what the citizen asked for.
    SERVICE_PROVISION = "dpv:ServiceProvision"
    REQUESTED_SERVICE_PROVISION = "dpv:RequestedServiceProvision"
    SERVICE_REGISTRATION = "dpv:ServiceRegistration"
    ACCOUNT_MANAGEMENT = "dpv:AccountManagement"
    PAYMENT_MANAGEMENT = "dpv:PaymentManagement"
    DELIVERY_OF_GOODS = "dpv:DeliveryOfGoods"
    # Checking who someone is, or a fact about them.
    IDENTITY_VERIFICATION = "dpv:IdentityVerification"
    IDENTITY_AUTHENTICATION = "dpv:IdentityAuthentication"
    AGE_VERIFICATION = "dpv:AgeVerification"
    ENFORCE_ACCESS_CONTROL = "dpv:EnforceAccessControl"
    FRAUD_PREVENTION_AND_DETECTION = "dpv:FraudPreventionAndDetection"
    # Obligations and the public interest.
    LEGAL_COMPLIANCE = "dpv:LegalCompliance"
    IMPROVE_PUBLIC_SERVICES = "dpv:ImprovePublicServices"
    IMPROVE_TRANSPORT_MOBILITY = "dpv:ImproveTransportMobility"
    PROVIDE_OFFICIAL_STATISTICS = "dpv:ProvideOfficialStatistics"
    PUBLIC_POLICY_MAKING = "dpv:PublicPolicyMaking"
    # Research.
    RESEARCH_AND_DEVELOPMENT = "dpv:ResearchAndDevelopment"
    SCIENTIFIC_RESEARCH = "dpv:ScientificResearch"
    NON_COMMERCIAL_RESEARCH = "dpv:NonCommercialResearch"
    # Communication and marketing, listed so that a service must say so when it is that.
    COMMUNICATION_MANAGEMENT = "dpv:CommunicationManagement"
    MARKETING = "dpv:Marketing"
    PERSONALISED_ADVERTISING = "dpv:PersonalisedAdvertising"

    @property
    def iri(self) -> str:
        """The term's full IRI, e.g. `https://w3id.org/dpv#ServiceProvision`."""
        return DPV_NAMESPACE + self.value.removeprefix("dpv:")
