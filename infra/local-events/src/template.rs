//! What the driver needs from template.yaml: the SQS queues (with their
//! redrive policies and visibility timeouts), the functions' SQS event
//! sources and schedules, and which environment variable of which function
//! holds which queue's URL.

use std::path::Path;

use serde_yaml::Value;

use crate::schedule::{Schedule, ScheduleError};

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("template.yaml is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("{resource}: {reason}")]
    Invalid { resource: String, reason: String },
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
}

/// An `AWS::SQS::Queue`; locally named by its logical id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub logical_id: String,
    pub visibility_timeout: Option<u32>,
    pub message_retention: Option<u32>,
    /// The logical id of the dead-letter queue and `maxReceiveCount`.
    pub redrive: Option<(String, u32)>,
}

/// An `SQS` event of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsSource {
    /// The event's name in the template (`IndexEvents`).
    pub event: String,
    /// The function's name under cargo lambda watch (its crate, or its
    /// `BuildProperties.Binary`).
    pub function: String,
    pub queue: String,
    pub batch_size: u32,
    pub report_batch_item_failures: bool,
    /// The function's `Timeout` in seconds.
    pub timeout: u32,
}

/// A `Schedule` (or `ScheduleV2`) event of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSpec {
    pub event: String,
    pub function: String,
    pub schedule: Schedule,
    pub expression: String,
    /// `Input`: the payload sent instead of the scheduled-event document.
    pub input: Option<String>,
    pub timeout: u32,
}

/// An environment variable of a function that holds a queue's URL
/// (`!Ref <Queue>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueVariable {
    pub function: String,
    pub variable: String,
    pub queue: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Template {
    pub queues: Vec<QueueSpec>,
    pub sqs_sources: Vec<SqsSource>,
    pub schedules: Vec<ScheduleSpec>,
    pub queue_variables: Vec<QueueVariable>,
}

/// `!Ref X` or `{Ref: X}`.
fn reference(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "!Ref" => tagged.value.as_str(),
        Value::Mapping(map) if map.len() == 1 => map.get("Ref").and_then(Value::as_str),
        _ => None,
    }
}

/// The logical id of `!GetAtt X.Arn`, `!GetAtt [X, Arn]` or
/// `{Fn::GetAtt: [X, Arn]}`.
fn arn_of(value: &Value) -> Option<&str> {
    let target = match value {
        Value::Tagged(tagged) if tagged.tag == "!GetAtt" => &tagged.value,
        Value::Mapping(map) if map.len() == 1 => map.get("Fn::GetAtt")?,
        _ => return None,
    };
    match target {
        Value::String(s) => s.strip_suffix(".Arn"),
        Value::Sequence(parts) if parts.len() == 2 && parts[1].as_str() == Some("Arn") => {
            parts[0].as_str()
        }
        _ => None,
    }
}

fn number(value: Option<&Value>) -> Option<u32> {
    match value? {
        Value::Number(n) => n.as_u64().map(|n| n as u32),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn enabled(properties: &Value) -> bool {
    !matches!(properties.get("Enabled"), Some(Value::Bool(false)))
        && properties.get("State").and_then(Value::as_str) != Some("DISABLED")
}

impl Template {
    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let doc: Value = serde_yaml::from_str(text)?;
        let global_timeout = number(
            doc.get("Globals")
                .and_then(|g| g.get("Function"))
                .and_then(|f| f.get("Timeout")),
        )
        .unwrap_or(3);
        let mut template = Template::default();
        let Some(resources) = doc.get("Resources").and_then(Value::as_mapping) else {
            return Ok(template);
        };
        for (id, resource) in resources {
            let Some(id) = id.as_str() else { continue };
            let kind = resource.get("Type").and_then(Value::as_str).unwrap_or("");
            let properties = resource.get("Properties").cloned().unwrap_or(Value::Null);
            match kind {
                "AWS::SQS::Queue" => template.queues.push(queue(id, &properties)?),
                "AWS::Serverless::Function" => {
                    template.function(id, resource, &properties, global_timeout)?
                }
                _ => {}
            }
        }
        Ok(template)
    }

    fn function(
        &mut self,
        id: &str,
        resource: &Value,
        properties: &Value,
        global_timeout: u32,
    ) -> Result<(), TemplateError> {
        let invalid = |reason: String| TemplateError::Invalid {
            resource: id.to_owned(),
            reason,
        };
        let binary = resource
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(Value::as_str);
        let code_uri = properties.get("CodeUri").and_then(Value::as_str);
        let Some(function) = binary.map(str::to_owned).or_else(|| {
            code_uri
                .and_then(|c| c.trim_end_matches('/').rsplit('/').next())
                .map(str::to_owned)
        }) else {
            return Err(invalid("no CodeUri".into()));
        };
        let timeout = number(properties.get("Timeout")).unwrap_or(global_timeout);
        if let Some(variables) = properties
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping)
        {
            for (name, value) in variables {
                if let (Some(name), Some(queue)) = (name.as_str(), reference(value)) {
                    self.queue_variables.push(QueueVariable {
                        function: function.clone(),
                        variable: name.to_owned(),
                        queue: queue.to_owned(),
                    });
                }
            }
        }
        let Some(events) = properties.get("Events").and_then(Value::as_mapping) else {
            return Ok(());
        };
        for (event, spec) in events {
            let event = event.as_str().unwrap_or_default().to_owned();
            let kind = spec.get("Type").and_then(Value::as_str).unwrap_or("");
            let props = spec.get("Properties").cloned().unwrap_or(Value::Null);
            if !enabled(&props) {
                continue;
            }
            match kind {
                "SQS" => {
                    let queue = props.get("Queue").and_then(arn_of).ok_or_else(|| {
                        invalid(format!("{event}: Queue is not !GetAtt <Queue>.Arn"))
                    })?;
                    let report = props
                        .get("FunctionResponseTypes")
                        .and_then(Value::as_sequence)
                        .is_some_and(|types| {
                            types
                                .iter()
                                .any(|t| t.as_str() == Some("ReportBatchItemFailures"))
                        });
                    self.sqs_sources.push(SqsSource {
                        event,
                        function: function.clone(),
                        queue: queue.to_owned(),
                        batch_size: number(props.get("BatchSize")).unwrap_or(10).clamp(1, 10),
                        report_batch_item_failures: report,
                        timeout,
                    });
                }
                "Schedule" | "ScheduleV2" => {
                    let expression = props
                        .get("Schedule")
                        .or_else(|| props.get("ScheduleExpression"))
                        .and_then(Value::as_str)
                        .ok_or_else(|| invalid(format!("{event}: no schedule expression")))?
                        .to_owned();
                    self.schedules.push(ScheduleSpec {
                        event,
                        function: function.clone(),
                        schedule: Schedule::parse(&expression)?,
                        expression,
                        input: props
                            .get("Input")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        timeout,
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The queues, dead-letter queues first (a redrive policy names an
    /// existing queue's ARN).
    pub fn queues_in_creation_order(&self) -> Vec<&QueueSpec> {
        let mut ordered: Vec<&QueueSpec> =
            self.queues.iter().filter(|q| q.redrive.is_none()).collect();
        ordered.extend(self.queues.iter().filter(|q| q.redrive.is_some()));
        ordered
    }
}

fn queue(id: &str, properties: &Value) -> Result<QueueSpec, TemplateError> {
    let redrive = match properties.get("RedrivePolicy") {
        None => None,
        Some(policy) => {
            let target = policy
                .get("deadLetterTargetArn")
                .and_then(arn_of)
                .ok_or_else(|| TemplateError::Invalid {
                    resource: id.to_owned(),
                    reason: "RedrivePolicy.deadLetterTargetArn is not !GetAtt <Queue>.Arn".into(),
                })?;
            let max =
                number(policy.get("maxReceiveCount")).ok_or_else(|| TemplateError::Invalid {
                    resource: id.to_owned(),
                    reason: "RedrivePolicy.maxReceiveCount is missing".into(),
                })?;
            Some((target.to_owned(), max))
        }
    };
    Ok(QueueSpec {
        logical_id: id.to_owned(),
        visibility_timeout: number(properties.get("VisibilityTimeout")),
        message_retention: number(properties.get("MessageRetentionPeriod")),
        redrive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"
Globals:
  Function:
    Timeout: 10
Resources:
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 180
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt WorkDeadLetterQueue.Arn
        maxReceiveCount: 5
  WorkDeadLetterQueue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/worker
      Timeout: 30
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            BatchSize: 25
            FunctionResponseTypes: [ReportBatchItemFailures]
        Paused:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            Enabled: false
  RelayFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties: {Binary: relay}
    Properties:
      CodeUri: functions/relay-crate
      Environment:
        Variables:
          WORK_QUEUE_URL: !Ref WorkQueue
          OTHER: plain
      Events:
        EveryMinute:
          Type: Schedule
          Properties:
            Schedule: rate(1 minute)
        Nightly:
          Type: Schedule
          Properties:
            Schedule: cron(30 2 * * ? *)
            Input: "{}"
"#;

    #[test]
    fn queues_sources_schedules_and_queue_variables_are_read() {
        let template = Template::parse(TEMPLATE).expect("parse");

        let order: Vec<&str> = template
            .queues_in_creation_order()
            .iter()
            .map(|q| q.logical_id.as_str())
            .collect();
        assert_eq!(order, vec!["WorkDeadLetterQueue", "WorkQueue"]);
        let work = template
            .queues
            .iter()
            .find(|q| q.logical_id == "WorkQueue")
            .expect("queue");
        assert_eq!(work.redrive, Some(("WorkDeadLetterQueue".into(), 5)));
        assert_eq!(work.visibility_timeout, Some(180));
        assert_eq!(
            template.sqs_sources,
            vec![SqsSource {
                event: "Work".into(),
                function: "worker".into(),
                queue: "WorkQueue".into(),
                batch_size: 10,
                report_batch_item_failures: true,
                timeout: 30,
            }]
        );
        assert_eq!(template.schedules.len(), 2);
        assert_eq!(template.schedules[0].function, "relay");
        assert_eq!(template.schedules[0].timeout, 10);
        assert_eq!(template.schedules[1].input.as_deref(), Some("{}"));
        assert_eq!(
            template.queue_variables,
            vec![QueueVariable {
                function: "relay".into(),
                variable: "WORK_QUEUE_URL".into(),
                queue: "WorkQueue".into(),
            }]
        );
    }

    #[test]
    fn the_repositorys_template_is_understood() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");

        let template = Template::load(&path).expect("template.yaml");

        for source in &template.sqs_sources {
            assert!(
                template.queues.iter().any(|q| q.logical_id == source.queue),
                "{} reads {}, which is no queue",
                source.function,
                source.queue
            );
        }
    }
}
