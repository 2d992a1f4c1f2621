using System.Globalization;
using CustomLabels.Core.Parameters;

namespace CustomLabels.Web.Components.Pages.Parameters;

/// <summary>One parameter being edited: its definition, stored value, the edit and why the edit is refused.</summary>
public sealed class ParameterField(ParameterDefinition definition, ParameterValue stored)
{
    public ParameterDefinition Definition { get; } = definition;

    public ParameterValue Stored { get; private set; } = stored;

    public string Edit { get; private set; } = stored.Value;

    public string? Error { get; private set; }

    public bool IsDirty => Edit != Stored.Value;

    public bool Flag => bool.TryParse(Edit, out var flag) && flag;

    public double? Number => double.TryParse(Edit, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : null;

    /// <summary>Takes an edit and checks it against the parameter's range at once, so nothing bad reaches the store.</summary>
    public void Set(string? value)
    {
        Edit = value?.Trim() ?? string.Empty;
        try
        {
            Definition.Normalize(Edit);
            Error = null;
        }
        catch (ParameterValidationException e)
        {
            Error = e.Message;
        }
    }

    public void Set(double? value) => Set(value?.ToString("R", CultureInfo.InvariantCulture));

    public void Set(bool value) => Set(value ? "true" : "false");

    public void Saved(ParameterValue value)
    {
        Stored = value;
        Edit = value.Value;
        Error = null;
    }

    public void Refused(string message) => Error = message;

    public void Reset() => Saved(Stored);
}

/// <summary>The parameters page's state: the operator-facing parameters in their groups.</summary>
public sealed class ParameterForm
{
    public ParameterForm(IEnumerable<ParameterValue> values)
    {
        var byName = values.ToDictionary(v => v.Name, StringComparer.Ordinal);
        Fields = [.. ParameterCatalog.All
            .Where(d => d.Group != ParameterGroup.System)
            .Select(d => new ParameterField(d, byName.GetValueOrDefault(d.Name) ?? new ParameterValue(d.Name, d.DefaultValue, 0, null)))];
    }

    public IReadOnlyList<ParameterField> Fields { get; }

    public IEnumerable<IGrouping<ParameterGroup, ParameterField>> Groups => Fields.GroupBy(f => f.Definition.Group);

    public static string Title(ParameterGroup group) => group switch
    {
        ParameterGroup.Training => "Training",
        ParameterGroup.DetectionAndReview => "Detection and review",
        ParameterGroup.Sampling => "Sampling",
        _ => group.ToString(),
    };

    /// <summary>Takes fresh values from the store, keeping edits not saved yet.</summary>
    public void Refresh(IEnumerable<ParameterValue> values)
    {
        foreach (var value in values)
        {
            if (Fields.FirstOrDefault(f => f.Definition.Name == value.Name) is { } field && !field.IsDirty && field.Stored.Version != value.Version)
            {
                field.Saved(value);
            }
        }
    }
}
