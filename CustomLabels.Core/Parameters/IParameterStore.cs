namespace CustomLabels.Core.Parameters;

/// <summary>
/// The operators' rule book, shaped like SSM Parameter Store: named string values with versions and history.
/// Values are validated against <see cref="ParameterCatalog"/> before anything is written.
/// Embedded: SQLite; AWS: Parameter Store under <c>/&lt;stack&gt;/</c>.
/// </summary>
public interface IParameterStore
{
    /// <summary>Every parameter with its current value (defaults for those never written).</summary>
    Task<IReadOnlyList<ParameterValue>> GetAllAsync(CancellationToken cancellationToken = default);

    /// <summary>One parameter.</summary>
    /// <exception cref="UnknownParameterException">No parameter has this name.</exception>
    Task<ParameterValue> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Validates and writes a value, records the change and raises a parameter-changed event.</summary>
    /// <exception cref="UnknownParameterException">No parameter has this name.</exception>
    /// <exception cref="ParameterValidationException">The value is out of range; nothing was written.</exception>
    Task<ParameterValue> PutAsync(string name, string value, string changedBy, CancellationToken cancellationToken = default);

    /// <summary>Every change of one parameter, newest first.</summary>
    Task<IReadOnlyList<ParameterChange>> GetHistoryAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>A parameter's current value.</summary>
/// <param name="Name">The parameter name, e.g. <c>Minimum-F1-Score</c>.</param>
/// <param name="Value">The value as a string, as on the wire.</param>
/// <param name="Version">Increments with each write; 0 for a default never written.</param>
/// <param name="LastModified">When it was last written; null for a default.</param>
public sealed record ParameterValue(string Name, string Value, long Version, DateTimeOffset? LastModified);

/// <summary>One recorded change.</summary>
public sealed record ParameterChange(string Name, long Version, string? OldValue, string NewValue, string ChangedBy, DateTimeOffset ChangedAt);

/// <summary>No parameter has this name; HTTP 400 (404 on a path that names it).</summary>
public sealed class UnknownParameterException(string name)
    : InvalidRequestException($"There is no parameter named '{name}'.")
{
    /// <summary>The unknown name.</summary>
    public string Name { get; } = name;
}

/// <summary>A value out of the parameter's range; the message names the range. HTTP 400.</summary>
public sealed class ParameterValidationException(string name, string message) : InvalidRequestException(message)
{
    /// <summary>The parameter's name.</summary>
    public string Name { get; } = name;
}
