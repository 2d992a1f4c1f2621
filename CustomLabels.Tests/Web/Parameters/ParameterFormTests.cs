using CustomLabels.Core.Parameters;
using CustomLabels.Web.Components.Pages.Parameters;

namespace CustomLabels.Tests.Web.Parameters;

public sealed class ParameterFormTests
{
    [Fact]
    public void TheTenParametersAreShownInThreeGroupsWithoutTheSystemOne()
    {
        var form = new ParameterForm([]);

        Assert.Equal(10, form.Fields.Count);
        Assert.Equal([ParameterGroup.Training, ParameterGroup.DetectionAndReview, ParameterGroup.Sampling], form.Groups.Select(g => g.Key));
        Assert.DoesNotContain(form.Fields, f => f.Definition.Name == ParameterNames.ForSystemUseOnly);
        Assert.All(form.Fields, f => Assert.Equal(f.Definition.DefaultValue, f.Edit));
    }

    [Fact]
    public void AnEditOutOfRangeIsRefusedBeforeSavingWithTheRangeInTheMessage()
    {
        var field = new ParameterForm([]).Fields.Single(f => f.Definition.Name == ParameterNames.MinimumF1Score);

        field.Set(1.5);

        Assert.True(field.IsDirty);
        Assert.Contains("from 0 to 1", field.Error, StringComparison.Ordinal);
        field.Set(0.9);
        Assert.Null(field.Error);
    }

    [Fact]
    public void AFractionForAWholeNumberIsRefused()
    {
        var field = new ParameterForm([]).Fields.Single(f => f.Definition.Name == ParameterNames.MinimumUntrainedImages);

        field.Set(2.5);

        Assert.Contains("a whole number", field.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void FreshValuesReplaceUnchangedFieldsButKeepPendingEdits()
    {
        var form = new ParameterForm([]);
        var confidence = form.Fields.Single(f => f.Definition.Name == ParameterNames.MinimumLabelDetectionConfidence);
        var interval = form.Fields.Single(f => f.Definition.Name == ParameterNames.HumanSamplingInterval);
        interval.Set(5d);

        form.Refresh([
            new ParameterValue(ParameterNames.MinimumLabelDetectionConfidence, "80", 1, DateTimeOffset.UnixEpoch),
            new ParameterValue(ParameterNames.HumanSamplingInterval, "20", 1, DateTimeOffset.UnixEpoch),
        ]);

        Assert.Equal("80", confidence.Edit);
        Assert.Equal("5", interval.Edit);
    }
}
