//! The demo's keys: a simulated KMS with keys in every state.

use super::*;

/// The demo's key that waits for its vendor's principal (Confluent, phase one): its vendor
/// id, alias and Region.
pub const DEMO_WAITING: (&str, &str, &str) =
    ("confluent", "alias/confluent-cloud-byok", "eu-west-1");

/// The demo's key of a vendor that assumes a role in the customer's account: vendor, Region.
pub const DEMO_ROLE_VENDOR: (&str, &str) = ("mongodb-atlas", "eu-west-1");

/// A key byok made for a vendor that names its principal only once the key ARN is registered
/// with it: the restarted wizard says it may wait, and where to grant what the vendor returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingKey {
    /// The vendor's name.
    pub vendor: String,
    pub alias: String,
    pub region: String,
}

/// The keys byok's journal says it made (or adopted) for such a vendor, newest first, at most
/// three. The journal says only that byok made them: whether one still waits is the status
/// screen's to read.
pub fn waiting_keys(entries: &[crate::journal::Entry], catalog: &Catalog) -> Vec<WaitingKey> {
    use crate::journal::Event;
    let mut out: Vec<WaitingKey> = Vec::new();
    for e in entries.iter().rev() {
        if !matches!(e.event, Event::Created | Event::Adopted)
            || e.role != Some(crate::plan::KeyRole::Primary)
            || !e.arn.as_deref().is_some_and(|a| a.contains(":kms:"))
        {
            continue;
        }
        let Some(profile) = e.setup.split('/').next().and_then(|v| catalog.get(v)) else {
            continue;
        };
        let (Some(alias), Some(region)) = (&e.alias, &e.region) else {
            continue;
        };
        if !profile.principal.kind.given_later()
            || out.iter().any(|w| w.alias == *alias && w.region == *region)
        {
            continue;
        }
        out.push(WaitingKey {
            vendor: profile.name.clone(),
            alias: alias.clone(),
            region: region.clone(),
        });
        if out.len() == 3 {
            break;
        }
    }
    out
}

/// The demo's waiting key, as [`waiting_keys`] would name it.
pub fn demo_waiting(catalog: &Catalog) -> Vec<WaitingKey> {
    let (v, alias, region) = DEMO_WAITING;
    catalog
        .get(v)
        .map(|p| WaitingKey {
            vendor: p.name.clone(),
            alias: alias.into(),
            region: region.into(),
        })
        .into_iter()
        .collect()
}

/// Fill a simulated KMS with keys in every state, for `byok --demo status` and UI tests.
pub async fn seed_demo<S: KeyService>(svc: &S, catalog: &Catalog) -> KmsResult<()> {
    let account = svc.identity().await?.account;
    let camunda = catalog.get("camunda").expect("built-in profile");
    let gearset = catalog.get("gearset").expect("built-in profile");
    let role = "arn:aws:iam::210987654321:role/camunda-tenant-7f3a";
    let make = |p: &VendorProfile, alias: &str, principal: &str, role_tag: &str| {
        let partition = "aws";
        let pol = repaired_policy(
            p,
            &json!({"Version": "2012-10-17", "Statement": []}),
            &account,
            partition,
            principal,
        );
        crate::kms::NewKey {
            policy: policy::to_document(&pol),
            description: p.key.description.clone(),
            tags: vec![
                (TAG_MANAGED_BY.into(), "byok".into()),
                (TAG_VENDOR.into(), p.id.clone()),
                (crate::plan::TAG_ALIAS.into(), alias.into()),
                (TAG_ROLE.into(), role_tag.into()),
            ],
            multi_region: false,
        }
    };
    // Camunda, Multi-Region, healthy.
    let mut nk = make(camunda, "alias/camunda-saas-byok", role, "primary");
    nk.multi_region = true;
    let k = svc.create_key("eu-west-1", &nk).await?;
    svc.create_alias("eu-west-1", "alias/camunda-saas-byok", &k.key_id)
        .await?;
    svc.enable_rotation("eu-west-1", &k.key_id, 365).await?;
    let mut rk = nk.clone();
    rk.tags[3].1 = "replica".into();
    svc.replicate_key("eu-west-1", &k.key_id, "eu-west-2", &rk)
        .await?;
    svc.create_alias("eu-west-2", "alias/camunda-saas-byok", &k.key_id)
        .await?;
    // Camunda, a second cluster: the grant statement lost an action.
    let nk = make(
        camunda,
        "alias/camunda-staging-byok",
        "arn:aws:iam::210987654321:role/camunda-tenant-19bc",
        "primary",
    );
    let mut pol: Value = serde_json::from_str(&nk.policy).expect("json");
    pol["Statement"][2]["Action"] = json!(["kms:CreateGrant", "kms:ListGrants"]);
    let nk = crate::kms::NewKey {
        policy: policy::to_document(&pol),
        ..nk
    };
    let k = svc.create_key("eu-west-1", &nk).await?;
    svc.create_alias("eu-west-1", "alias/camunda-staging-byok", &k.key_id)
        .await?;
    svc.enable_rotation("eu-west-1", &k.key_id, 365).await?;
    // Gearset in Oregon: disabled.
    let principal = format!(
        "arn:aws:iam::{}:root",
        gearset.vendor_account("us-west-2").unwrap_or_default()
    );
    let nk = make(gearset, "alias/gearset-backup-byok", &principal, "primary");
    let k = svc.create_key("us-west-2", &nk).await?;
    svc.create_alias("us-west-2", "alias/gearset-backup-byok", &k.key_id)
        .await?;
    svc.enable_rotation("us-west-2", &k.key_id, 180).await?;
    svc.disable_key("us-west-2", &k.key_id).await?;
    // Gearset in Sydney: no rotation.
    let principal = format!(
        "arn:aws:iam::{}:root",
        gearset.vendor_account("ap-southeast-2").unwrap_or_default()
    );
    let nk = make(gearset, "alias/gearset-apac-byok", &principal, "primary");
    let k = svc.create_key("ap-southeast-2", &nk).await?;
    svc.create_alias("ap-southeast-2", "alias/gearset-apac-byok", &k.key_id)
        .await?;
    // Gearset in Canada: pending deletion.
    let principal = format!(
        "arn:aws:iam::{}:root",
        gearset.vendor_account("ca-central-1").unwrap_or_default()
    );
    let nk = make(gearset, "alias/gearset-old-byok", &principal, "primary");
    let k = svc.create_key("ca-central-1", &nk).await?;
    svc.create_alias("ca-central-1", "alias/gearset-old-byok", &k.key_id)
        .await?;
    svc.schedule_deletion("ca-central-1", &k.key_id, 30).await?;
    // Confluent, phase one: made without Confluent's statements, waiting for the roles
    // Confluent returns once the key ARN is registered (`g` in the menu, or byok grant).
    let confluent = catalog.get("confluent").expect("built-in profile");
    let (_, alias, region) = DEMO_WAITING;
    let mut nk = make(confluent, alias, "", "primary");
    let pol = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": confluent.root_statement_sid,
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
        "Action": "kms:*",
        "Resource": "*"
    }]});
    nk.policy = policy::to_document(&pol);
    let k = svc.create_key(region, &nk).await?;
    svc.create_alias(region, alias, &k.key_id).await?;
    svc.enable_rotation(region, &k.key_id, 365).await?;
    seed_role_vendor(svc, catalog, &account).await
}

/// MongoDB Atlas, made as `byok create` makes it (the executor, the role Atlas assumes
/// included), whose role's own policy was later pointed at another key: status says Atlas can
/// no longer use this one.
async fn seed_role_vendor<S: KeyService>(
    svc: &S,
    catalog: &Catalog,
    account: &str,
) -> KmsResult<()> {
    let raw = crate::answers::RawAnswers {
        vendor: Some(DEMO_ROLE_VENDOR.0.into()),
        region: Some(DEMO_ROLE_VENDOR.1.into()),
        principal: Some("arn:aws:iam::536727724300:root".into()),
        external_id: Some("3192be49-6e76-4b7d-a7b8-b486a8fc4483".into()),
        ..Default::default()
    };
    // The built-in profile's answers always validate; a catalog without it seeds nothing.
    let Ok(answers) = raw.validate(catalog) else {
        return Ok(());
    };
    let plan = crate::plan::Plan::build(&answers);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let (_stop, cancel) = tokio::sync::watch::channel(false);
    let report = crate::exec::run(
        svc,
        &plan,
        &crate::journal::Journal::disabled(),
        &tx,
        &cancel,
        &crate::exec::ExecOptions::default(),
    )
    .await;
    if let (Some(role), Some(spec)) = (&report.role, &answers.vendor.customer_role) {
        let elsewhere = format!(
            "arn:aws:kms:{}:{account}:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
            DEMO_ROLE_VENDOR.1
        );
        if let Some(doc) = crate::role::permission_policy(&spec.policy, &[elsewhere]) {
            svc.put_role_policy(&role.name, &spec.policy_name, &policy::to_document(&doc))
                .await?;
        }
    }
    Ok(())
}
