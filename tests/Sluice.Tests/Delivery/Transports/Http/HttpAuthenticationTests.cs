using Sluice.Delivery.Transports.Http;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery.Transports.Http;

/// <summary>The credentials' headers: exactly those of each API's endpoint, and a credential that cannot be one refused with its name.</summary>
public class HttpAuthenticationTests
{
    [Fact]
    public void No_credentials_add_no_header()
    {
        Assert.Empty(CredentialHeaders.Of(HttpAuthentication.None, 0));
        Assert.Empty(CredentialHeaders.Of(HttpAuthentication.ThriveStack(null, null), ThriveStackFormat.TrackPartition));
        Assert.Empty(CredentialHeaders.Of(HttpAuthentication.ThriveStack(null, null), ThriveStackFormat.PagePartition));
    }

    [Fact]
    public void ThriveStack_sends_the_token_only_to_track_and_the_key_only_to_page()
    {
        Assert.Equal([("Authorization", "Bearer t")], CredentialHeaders.Of(HttpAuthentication.ThriveStack("t", null), ThriveStackFormat.TrackPartition));
        Assert.Empty(CredentialHeaders.Of(HttpAuthentication.ThriveStack("t", null), ThriveStackFormat.PagePartition));
        Assert.Equal([("x-api-key", "k")], CredentialHeaders.Of(HttpAuthentication.ThriveStack(null, "k"), ThriveStackFormat.PagePartition));
        Assert.Empty(CredentialHeaders.Of(HttpAuthentication.ThriveStack(null, "k"), ThriveStackFormat.TrackPartition));
    }

    [Theory]
    [InlineData(13)] // CR
    [InlineData(10)] // LF
    [InlineData(0)] // NUL (as a number: a NUL in a test's name upsets test runners that select tests by name)
    public void A_credential_with_a_line_break_or_NUL_is_refused_naming_the_argument(int character)
    {
        string value = $"a{(char)character}b";
        foreach (var (make, name) in new (Func<HttpAuthentication>, string)[]
        {
            (() => HttpAuthentication.ThriveStack(value, null), "trackToken"),
            (() => HttpAuthentication.ThriveStack(null, value), "pageApiKey"),
            (() => HttpAuthentication.Segment(value), "writeKey"),
            (() => HttpAuthentication.PrimeData(value, "t"), "clientId"),
            (() => HttpAuthentication.PrimeData("c", value), "accessToken"),
        })
        {
            var ex = Assert.Throws<ArgumentException>(make);
            Assert.Equal(name, ex.ParamName);
            Assert.StartsWith("A credential cannot contain line breaks or NUL characters.", ex.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("tøken")]
    [InlineData("tab\tbed")]
    public void A_credential_sent_as_a_header_must_be_printable_ASCII_which_HttpClient_would_refuse_on_every_send(string value)
    {
        foreach (var (make, name) in new (Func<HttpAuthentication>, string)[]
        {
            (() => HttpAuthentication.ThriveStack(value, null), "trackToken"),
            (() => HttpAuthentication.ThriveStack(null, value), "pageApiKey"),
            (() => HttpAuthentication.PrimeData(value, "t"), "clientId"),
            (() => HttpAuthentication.PrimeData("c", value), "accessToken"),
        })
        {
            var ex = Assert.Throws<ArgumentException>(make);
            Assert.Equal(name, ex.ParamName);
            Assert.StartsWith("A credential sent as a header must be printable ASCII; it has U+00", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(value, ex.Message, StringComparison.Ordinal); // a credential is never echoed
        }

        // Segment's write key goes base64-encoded (HTTP Basic), so any text can be sent.
        var headers = new HttpRequestMessage().Headers;
        HttpAuthentication.Segment(value).Apply(headers, 0);
        Assert.Equal("Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value + ":")), headers.GetValues("Authorization").Single());
    }

    [Theory]
    [InlineData("Bearer abc")]
    [InlineData("bearer abc")]
    public void A_track_token_given_with_its_bearer_scheme_is_refused_naming_the_argument(string token)
    {
        // Spec 001: --header 'Authorization: Bearer eyJhbGciOi…'. The scheme is the transport's to add; given again, the header reads "Bearer Bearer abc".
        var ex = Assert.Throws<ArgumentException>(() => HttpAuthentication.ThriveStack(token, null));
        Assert.Equal("trackToken", ex.ParamName);
        Assert.StartsWith("Pass the token alone, without its 'Bearer ' scheme: the transport adds it.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_blank_credential_is_refused_naming_the_argument()
    {
        Assert.Equal("trackToken", Assert.ThrowsAny<ArgumentException>(() => HttpAuthentication.ThriveStack(" ", null)).ParamName);
        Assert.Equal("pageApiKey", Assert.ThrowsAny<ArgumentException>(() => HttpAuthentication.ThriveStack(null, "")).ParamName);
        Assert.Equal("clientId", Assert.ThrowsAny<ArgumentException>(() => HttpAuthentication.PrimeData("", "t")).ParamName);
        Assert.Equal("accessToken", Assert.ThrowsAny<ArgumentException>(() => HttpAuthentication.PrimeData("c", null!)).ParamName);
    }

    [Fact]
    public void Applying_credentials_to_no_headers_is_refused()
    {
        Assert.Equal("headers", Assert.Throws<ArgumentNullException>(() => HttpAuthentication.ThriveStack("t", "k").Apply(null!, 0)).ParamName);
        Assert.Equal("headers", Assert.Throws<ArgumentNullException>(() => HttpAuthentication.Segment("w").Apply(null!, 0)).ParamName);
    }
}
