//! What a policy document is for, from where it is written. `Principal: "*"` means "anyone" only
//! in a trust policy or a resource policy; in a VPC endpoint policy it lets nothing in (the
//! endpoint only narrows what its callers' own permissions already allow), and a CloudFormation
//! stack policy must name `"*"` (it only says which resources an update may touch).

use crate::analyze::syntax::doc::Node;
use crate::analyze::syntax::hcl::{self as tf, TfBlock};

/// What a policy document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// Not said by its place: an IAM or resource policy (S3, SQS, KMS, ...).
    Unknown,
    /// Who may assume a role.
    Trust,
    /// A VPC endpoint's policy.
    Endpoint,
    /// A CloudFormation stack policy.
    Stack,
}

impl Purpose {
    /// A standalone document by its path: endpoint and stack policies are kept in files named so
    /// (`vpce-s3-policy.json`, `endpoint-policy.json`, `stack-policy.json`).
    pub(super) fn of_path(path: &str) -> Purpose {
        let p = path.to_ascii_lowercase();
        let endpoint = ["vpce", "vpc-endpoint", "vpc_endpoint", "vpcendpoint"]
            .iter()
            .chain(&["endpoint-policy", "endpoint_policy", "endpointpolicy"])
            .any(|w| p.contains(w));
        if endpoint {
            Purpose::Endpoint
        } else if p.contains("stack-policy")
            || p.contains("stack_policy")
            || p.contains("stackpolicy")
        {
            Purpose::Stack
        } else {
            Purpose::Unknown
        }
    }

    /// The purpose of the document under `key` of a CloudFormation mapping, if the key says it.
    pub(super) fn of_key(key: &str) -> Option<Purpose> {
        match key {
            "AssumeRolePolicyDocument" => Some(Purpose::Trust),
            "StackPolicyBody" | "StackPolicyDuringUpdateBody" => Some(Purpose::Stack),
            _ => None,
        }
    }

    /// The purpose of the documents inside a CloudFormation resource, by its `Type`.
    pub(super) fn of_resource(n: &Node) -> Option<Purpose> {
        match n.get("Type").and_then(Node::as_str)? {
            "AWS::EC2::VPCEndpoint" => Some(Purpose::Endpoint),
            _ => None,
        }
    }

    /// The purpose of the document in Terraform attribute `attr` of resource type `ty`.
    pub(super) fn of_tf_attr(ty: &str, attr: &str) -> Purpose {
        match (ty, attr) {
            (_, "assume_role_policy") => Purpose::Trust,
            ("aws_vpc_endpoint" | "aws_vpc_endpoint_policy", "policy") => Purpose::Endpoint,
            ("aws_cloudformation_stack", "policy_body" | "policy_during_update_body") => {
                Purpose::Stack
            }
            _ => Purpose::Unknown,
        }
    }

    /// The purpose of `data "aws_iam_policy_document" "NAME"`: from the resource attribute that
    /// uses it in the same file, else from its name (`s3_endpoint_policy`).
    pub(super) fn of_tf_data(name: &str, blocks: &[TfBlock<'_>]) -> Purpose {
        let reference = format!("data.aws_iam_policy_document.{name}.");
        for b in blocks.iter().filter(|b| b.kind == "resource") {
            for a in b.block.body.attributes() {
                if tf::expr_text(&a.expr).contains(&reference) {
                    let p = Purpose::of_tf_attr(b.ty, a.key.as_str());
                    if p != Purpose::Unknown {
                        return p;
                    }
                }
            }
        }
        match Purpose::of_path(name) {
            Purpose::Endpoint => Purpose::Endpoint,
            _ => Purpose::Unknown,
        }
    }
}

/// A statement of a CloudFormation stack policy, wherever it is written: its actions are
/// `Update:*` verbs or its resources are `LogicalResourceId/…`.
pub(super) fn stack_statement(st: &Node) -> bool {
    let has = |key: &str, prefix: &str| {
        st.get(key).is_some_and(|n| {
            n.strs().iter().any(|s| {
                s.get(..prefix.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
            })
        })
    };
    has("Action", "Update:")
        || has("NotAction", "Update:")
        || has("Resource", "LogicalResourceId/")
        || has("NotResource", "LogicalResourceId/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes() {
        assert_eq!(
            Purpose::of_path("net/vpce-s3-policy.json"),
            Purpose::Endpoint
        );
        assert_eq!(
            Purpose::of_path("policies/S3EndpointPolicy.json"),
            Purpose::Endpoint
        );
        assert_eq!(Purpose::of_path("cfn/stack-policy.json"), Purpose::Stack);
        assert_eq!(Purpose::of_path("policies/bucket.json"), Purpose::Unknown);
        // An API's endpoints are not VPC endpoints.
        assert_eq!(
            Purpose::of_path("api/endpoints/policy.json"),
            Purpose::Unknown
        );
        assert_eq!(
            Purpose::of_tf_attr("aws_iam_role", "assume_role_policy"),
            Purpose::Trust
        );
        assert_eq!(
            Purpose::of_tf_attr("aws_vpc_endpoint", "policy"),
            Purpose::Endpoint
        );
        assert_eq!(
            Purpose::of_tf_attr("aws_s3_bucket_policy", "policy"),
            Purpose::Unknown
        );
    }
}
