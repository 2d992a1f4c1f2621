using CustomLabels.Core;
using CustomLabels.Core.Models;
using CustomLabels.Core.Models.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CustomLabels.Tests.Core.Models;

public sealed class ModelRegistrationTests
{
    private static IHost Build(TempDirectory directory, params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["CustomLabels:DataDirectory"] = directory.Path;
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key] = value;
        }

        builder.AddCustomLabelsCore();
        return builder.Build();
    }

    [Fact]
    public void EmbeddedBackendServesTheEmbeddedModelWithItsConfiguredOptions()
    {
        using var directory = new TempDirectory();
        using var host = Build(directory, ("CustomLabels:Model:TrainingVariants", "5"));

        Assert.IsType<EmbeddedCustomLabelsModel>(host.Services.GetRequiredService<ICustomLabelsModel>());
        Assert.Equal(5, host.Services.GetRequiredService<IOptions<ModelOptions>>().Value.TrainingVariants);
        Assert.Equal(2, host.Services.GetRequiredService<IOptions<ModelOptions>>().Value.TileGrid);
    }

    [Fact]
    public async Task BadModelOptionIsRefusedAtStartWithItsName()
    {
        using var directory = new TempDirectory();
        using var host = Build(directory, ("CustomLabels:Model:TileGrid", "9"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("TileGrid", error.Message, StringComparison.Ordinal);
    }
}
