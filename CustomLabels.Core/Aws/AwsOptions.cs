using System.ComponentModel.DataAnnotations;

namespace CustomLabels.Core.Aws;

/// <summary>
/// Where the deployed pipeline lives, bound from <c>CustomLabels:Aws</c> when <c>CustomLabels:Backend</c> is
/// <c>Aws</c>. Every value is checked at start; the stack's outputs give them all (see the README, "Running on AWS").
/// Credentials come from the AWS SDK's default chain (environment, profile, SSO, container or instance role).
/// </summary>
public sealed class AwsOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "CustomLabels:Aws";

    /// <summary>The region of the stack, e.g. <c>eu-west-1</c>. Required.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "CustomLabels:Aws:Region is required (e.g. eu-west-1).")]
    [RegularExpression(@"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$", ErrorMessage = "CustomLabels:Aws:Region must be a region code such as eu-west-1.")]
    public string Region { get; set; } = string.Empty;

    /// <summary>The pipeline's bucket (the stack output <c>BucketName</c>). Required.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "CustomLabels:Aws:BucketName is required.")]
    [RegularExpression(@"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", ErrorMessage = "CustomLabels:Aws:BucketName must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens.")]
    public string BucketName { get; set; } = string.Empty;

    /// <summary>The Parameter Store path under which the ten parameters live, e.g. <c>/customlabels/</c>. Required.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "CustomLabels:Aws:ParameterPathPrefix is required (e.g. /customlabels/).")]
    [RegularExpression(@"^/([A-Za-z0-9_.-]+/)+$", ErrorMessage = "CustomLabels:Aws:ParameterPathPrefix must start and end with '/' and hold only letters, digits, '_', '.', '-' between them (e.g. /customlabels/).")]
    public string ParameterPathPrefix { get; set; } = string.Empty;

    /// <summary>The state machine's ARN (stack output <c>StateMachineArn</c>). Required.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "CustomLabels:Aws:StateMachineArn is required.")]
    public string StateMachineArn { get; set; } = string.Empty;

    /// <summary>The Rekognition Custom Labels project's ARN (stack output <c>ProjectArn</c>). Required.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "CustomLabels:Aws:ProjectArn is required.")]
    public string ProjectArn { get; set; } = string.Empty;

    /// <summary>The A2I flow definition's ARN (stack output <c>FlowDefinitionArn</c>). Required.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "CustomLabels:Aws:FlowDefinitionArn is required.")]
    public string FlowDefinitionArn { get; set; } = string.Empty;

    /// <summary>The DynamoDB table of detections, loop inputs and notifications (stack output <c>TableName</c>). Required.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "CustomLabels:Aws:TableName is required.")]
    [RegularExpression(@"^[A-Za-z0-9_.-]{3,255}$", ErrorMessage = "CustomLabels:Aws:TableName must be 3 to 255 letters, digits, '_', '.' or '-'.")]
    public string TableName { get; set; } = string.Empty;

    /// <summary>The SNS topic that notifications are published to (stack output <c>TopicArn</c>). Default: none (the feed only).</summary>
    public string? TopicArn { get; set; }

    /// <summary>The workforce's labeling portal, linked from the review queue (stack output <c>LabelingPortalUrl</c>). Default: none.</summary>
    [Url(ErrorMessage = "CustomLabels:Aws:LabelingPortalUrl must be an absolute URL.")]
    public string? LabelingPortalUrl { get; set; }

    /// <summary>
    /// The EventBridge rule of the training schedule. Set in the Lambda functions (the parameter branch re-arms the
    /// rule there); when empty, as in the dashboard, re-arming is left to the cloud. Default: none.
    /// </summary>
    [RegularExpression(@"^[\.\-_A-Za-z0-9]{1,64}$", ErrorMessage = "CustomLabels:Aws:TrainingScheduleRuleName must be an EventBridge rule name.")]
    public string? TrainingScheduleRuleName { get; set; }

    /// <summary>The EventBridge rule of the sampling schedule; see <see cref="TrainingScheduleRuleName"/>. Default: none.</summary>
    [RegularExpression(@"^[\.\-_A-Za-z0-9]{1,64}$", ErrorMessage = "CustomLabels:Aws:SamplingScheduleRuleName must be an EventBridge rule name.")]
    public string? SamplingScheduleRuleName { get; set; }

    /// <summary>Endpoint overrides, for tests against local servers. Default: the public endpoints of <see cref="Region"/>.</summary>
    public AwsServiceUrls ServiceUrls { get; set; } = new();

    /// <summary>How the JSON clients retry throttling and server errors.</summary>
    public AwsRetryOptions Retry { get; set; } = new();
}

/// <summary>Endpoint overrides; each is an absolute http(s) URL or empty for the public endpoint.</summary>
public sealed class AwsServiceUrls
{
    /// <summary>S3 (path-style addressing is used when set). Default: none.</summary>
    public string? S3 { get; set; }

    /// <summary>SSM Parameter Store. Default: none.</summary>
    public string? Ssm { get; set; }

    /// <summary>DynamoDB. Default: none.</summary>
    public string? DynamoDb { get; set; }

    /// <summary>Rekognition. Default: none.</summary>
    public string? Rekognition { get; set; }

    /// <summary>Step Functions. Default: none.</summary>
    public string? StepFunctions { get; set; }

    /// <summary>The A2I runtime. Default: none.</summary>
    public string? A2IRuntime { get; set; }

    /// <summary>SNS. Default: none.</summary>
    public string? Sns { get; set; }

    /// <summary>EventBridge. Default: none.</summary>
    public string? EventBridge { get; set; }

    /// <summary>Every override with its name, for validation.</summary>
    internal IEnumerable<(string Name, string? Url)> All() =>
    [
        (nameof(S3), S3), (nameof(Ssm), Ssm), (nameof(DynamoDb), DynamoDb), (nameof(Rekognition), Rekognition),
        (nameof(StepFunctions), StepFunctions), (nameof(A2IRuntime), A2IRuntime), (nameof(Sns), Sns), (nameof(EventBridge), EventBridge),
    ];
}

/// <summary>Retries of throttled and failed calls: exponential backoff with full jitter.</summary>
public sealed class AwsRetryOptions
{
    /// <summary>The most attempts of one call, the first included. Default: 5.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The first backoff's ceiling; each further one doubles it. Default: 200 ms.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The largest backoff. Default: 20 s.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(20);
}
