using Sluice.Delivery.Transports.Http;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery.Transports.Http;

/// <summary>The built-in APIs by name: what each needs, what the command line and configuration call it, and the format and headers it gets.</summary>
public class BuiltInApiTests
{
    private static Func<ApiCredential, string?> Given(params (ApiCredential Credential, string? Value)[] values) =>
        c => Array.Find(values, v => v.Credential == c).Value;

    [Fact]
    public void Each_credential_has_its_option_and_environment_variable()
    {
        Assert.Equal(["thrivestack", "segment", "primedata"], BuiltInApi.Formats);
        Assert.Equal(
            [
                (ApiCredential.Token, "token", "SLUICE_TOKEN"),
                (ApiCredential.ApiKey, "api-key", "SLUICE_API_KEY"),
                (ApiCredential.WriteKey, "write-key", "SLUICE_WRITE_KEY"),
                (ApiCredential.ClientId, "client-id", "SLUICE_CLIENT_ID"),
                (ApiCredential.ClientAccessToken, "client-access-token", "SLUICE_CLIENT_ACCESS_TOKEN"),
            ],
            BuiltInApi.Credentials.Select(c => (c.Credential, c.Option, c.Variable)));
        Assert.All(BuiltInApi.Credentials, c => Assert.StartsWith(BuiltInApi.Formats.First(f => c.Description.StartsWith(f + ": ", StringComparison.Ordinal)) + ": ", c.Description, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("thrivestack", true)]
    [InlineData("Segment", true)]
    [InlineData("PRIMEDATA", true)]
    [InlineData("rudderstack", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void A_format_name_is_known_in_any_case(string? name, bool known) => Assert.Equal(known, BuiltInApi.IsFormat(name));

    [Fact]
    public void ThriveStack_over_HTTP_needs_a_token_or_an_api_key_and_files_need_neither()
    {
        var need = Assert.Single(BuiltInApi.Missing("ThriveStack", http: true, Given()));
        Assert.Equal([new CredentialNeed(ApiCredential.Token, "for track events"), new CredentialNeed(ApiCredential.ApiKey, "for page events")], need);
        Assert.Single(BuiltInApi.Missing("thrivestack", http: true, Given((ApiCredential.Token, " "), (ApiCredential.ApiKey, "")))); // blank is missing
        Assert.Empty(BuiltInApi.Missing("thrivestack", http: true, Given((ApiCredential.Token, "t"))));
        Assert.Empty(BuiltInApi.Missing("thrivestack", http: true, Given((ApiCredential.ApiKey, "k"))));
        Assert.Empty(BuiltInApi.Missing("thrivestack", http: false, Given()));
    }

    [Fact]
    public void Segment_over_HTTP_needs_a_write_key_and_files_need_nothing()
    {
        Assert.Equal([new CredentialNeed(ApiCredential.WriteKey, "it authenticates the batch API")], Assert.Single(BuiltInApi.Missing("segment", http: true, Given())));
        Assert.Empty(BuiltInApi.Missing("segment", http: true, Given((ApiCredential.WriteKey, "wk"))));
        Assert.Empty(BuiltInApi.Missing("segment", http: false, Given()));
    }

    [Fact]
    public void PrimeData_needs_its_client_id_even_for_files_and_its_access_token_over_HTTP()
    {
        Assert.Collection(
            BuiltInApi.Missing("primedata", http: true, Given()),
            n => Assert.Equal([new CredentialNeed(ApiCredential.ClientId, "it is the X-Client-Id header and every event's scope")], n),
            n => Assert.Equal([new CredentialNeed(ApiCredential.ClientAccessToken, "it authenticates the tracking API")], n));
        Assert.Equal([new CredentialNeed(ApiCredential.ClientId, "it is every event's scope")], Assert.Single(BuiltInApi.Missing("primedata", http: false, Given())));
        Assert.Equal(ApiCredential.ClientAccessToken, Assert.Single(Assert.Single(BuiltInApi.Missing("primedata", http: true, Given((ApiCredential.ClientId, "c"))))).Credential);
        Assert.Empty(BuiltInApi.Missing("primedata", http: false, Given((ApiCredential.ClientId, "c"))));
        Assert.Empty(BuiltInApi.Missing("primedata", http: true, Given((ApiCredential.ClientId, "c"), (ApiCredential.ClientAccessToken, "t"))));
    }

    [Fact]
    public void An_unknown_format_is_refused_with_the_known_ones_named()
    {
        foreach (var call in new Action[]
        {
            () => BuiltInApi.Missing("rudderstack", http: true, Given()),
            () => BuiltInApi.Format("rudderstack", Given()),
            () => BuiltInApi.Authentication("rudderstack", Given()),
        })
        {
            var ex = Assert.Throws<ArgumentException>(call);
            Assert.Equal("format", ex.ParamName);
            Assert.StartsWith("Unknown format 'rudderstack': use one of thrivestack, segment, primedata.", ex.Message, StringComparison.Ordinal);
        }

        Assert.Throws<ArgumentNullException>(() => BuiltInApi.Missing("segment", http: true, null!));
    }

    [Fact]
    public void Each_format_name_gives_its_wire_format()
    {
        Assert.Same(ThriveStackFormat.Instance, BuiltInApi.Format("THRIVESTACK", Given()));
        Assert.IsType<SegmentFormat>(BuiltInApi.Format("segment", Given()));
        Assert.Equal("acme-1", Assert.IsType<PrimeDataFormat>(BuiltInApi.Format("PrimeData", Given((ApiCredential.ClientId, "acme-1")))).ClientId);
    }

    [Fact]
    public void Each_format_name_gives_its_headers_and_a_blank_credential_counts_as_none()
    {
        Assert.Equal(
            [("Authorization", "Bearer t")],
            CredentialHeaders.Of(BuiltInApi.Authentication("thrivestack", Given((ApiCredential.Token, "t"), (ApiCredential.ApiKey, "k"))), ThriveStackFormat.TrackPartition));
        Assert.Equal(
            [("x-api-key", "k")],
            CredentialHeaders.Of(BuiltInApi.Authentication("thrivestack", Given((ApiCredential.Token, "t"), (ApiCredential.ApiKey, "k"))), ThriveStackFormat.PagePartition));
        Assert.Empty(CredentialHeaders.Of(BuiltInApi.Authentication("thrivestack", Given((ApiCredential.Token, "  "), (ApiCredential.ApiKey, "k"))), ThriveStackFormat.TrackPartition));
        Assert.Empty(CredentialHeaders.Of(BuiltInApi.Authentication("thrivestack", Given((ApiCredential.Token, "t"), (ApiCredential.ApiKey, ""))), ThriveStackFormat.PagePartition));
        Assert.Equal([("Authorization", "Basic d2s6")], CredentialHeaders.Of(BuiltInApi.Authentication("Segment", Given((ApiCredential.WriteKey, "wk"))), 0)); // base64("wk:")
        Assert.Equal(
            [("X-Client-Id", "c"), ("X-Client-Access-Token", "t")],
            CredentialHeaders.Of(BuiltInApi.Authentication("primedata", Given((ApiCredential.ClientId, "c"), (ApiCredential.ClientAccessToken, "t"))), 0));
    }
}
