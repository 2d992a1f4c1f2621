using System.ComponentModel.DataAnnotations;

namespace CustomLabels.Core;

/// <summary>Which set of adapters serves the ports.</summary>
public enum Backend
{
    /// <summary>One process, no cloud: folders, SQLite and ONNX Runtime. The default.</summary>
    Embedded,

    /// <summary>The deployed AWS pipeline: S3, SSM, Step Functions, Rekognition, A2I, DynamoDB, SNS.</summary>
    Aws,
}

/// <summary>The product's top-level settings, bound from the <c>CustomLabels</c> configuration section.</summary>
public sealed class CustomLabelsOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "CustomLabels";

    /// <summary>Embedded (default) or Aws.</summary>
    public Backend Backend { get; set; } = Backend.Embedded;

    /// <summary>
    /// Where the embedded bucket, database and model artefacts live. Default: <c>./data</c> under the working directory.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDirectory { get; set; } = "data";

    /// <summary>An Operator API key accepted from configuration, for automation. Default: none.</summary>
    public string? BootstrapApiKey { get; set; }

    /// <summary>The first operator account, created at first start when set. Default: none.</summary>
    public InitialOperatorOptions InitialOperator { get; set; } = new();

    /// <summary>The data directory as a full path.</summary>
    public string DataDirectoryFullPath => Path.GetFullPath(DataDirectory);
}

/// <summary>The first operator account, created at first start.</summary>
public sealed class InitialOperatorOptions
{
    /// <summary>The user name. Default: none.</summary>
    public string? UserName { get; set; }

    /// <summary>The password. Default: none.</summary>
    public string? Password { get; set; }
}
